package dev.batcher.benchmarks.results;

import java.util.List;
import java.util.Locale;

/** How the reports write numbers: rates with k and M, ratios with ×, times in µs or ms. */
final class Formats {
  private Formats() {}

  /**
   * Appends one table cell holding a value per run: the first run's, then the others' in
   * parentheses ({@code " 1.2 M (1.3 M) |"}).
   */
  static void appendRunsCell(StringBuilder md, List<String> cells) {
    md.append(' ').append(cells.get(0));
    if (cells.size() > 1) {
      md.append(" (").append(String.join(", ", cells.subList(1, cells.size()))).append(')');
    }
    md.append(" |");
  }

  static String fmtRate(double perSecond) {
    if (Double.isNaN(perSecond)) {
      return "n/a";
    }
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
    }
    if (perSecond >= 1e3) {
      return String.format(Locale.ROOT, "%.0f k", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", perSecond);
  }

  static String fmtRatio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "n/a"
        : String.format(Locale.ROOT, "%.2f×", r);
  }

  static String fmtMicros(double us) {
    if (Double.isNaN(us)) {
      return "n/a";
    }
    if (us >= 1000) {
      return String.format(Locale.ROOT, "%.2f ms", us / 1000);
    }
    return String.format(Locale.ROOT, "%.0f µs", us);
  }

  static String fmtPct(double f) {
    return Double.isNaN(f) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", f * 100);
  }
}
