package dev.batcher.benchmarks.results;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A PNG chart of the report, drawn with XChart when written. */
final class Chart {
  private final String file;
  private final String title;
  private final Kind kind;
  private final boolean xy;
  private final List<String> names = new ArrayList<>();
  private final List<List<Double>> xs = new ArrayList<>();
  private final List<List<Double>> ys = new ArrayList<>();
  private final List<String> categories = new ArrayList<>();
  private final List<Double> p50 = new ArrayList<>();
  private final List<Double> p99 = new ArrayList<>();
  private final List<Double> p999 = new ArrayList<>();
  private final List<Boolean> dashed = new ArrayList<>();

  /** What is drawn, which fixes the axes. */
  private enum Kind { THROUGHPUT, LATENCY, JDBC_WRITE, JDBC_COUNTER }

  private Chart(String file, String title, Kind kind) {
    this.file = file;
    this.title = title;
    this.kind = kind;
    this.xy = kind == Kind.THROUGHPUT || kind == Kind.JDBC_WRITE;
  }

  /** Delivered millions of items per second against producer threads, a line per library. */
  static Chart throughput(String file, String title) {
    return new Chart(file, title, Kind.THROUGHPUT);
  }

  /** p50, p99 and p99.9 bars per library and maxDelay, on a log scale. */
  static Chart latency(String file, String title) {
    return new Chart(file, title, Kind.LATENCY);
  }

  /**
   * Rows per second against batch size, both axes logarithmic: a line per strategy, and the
   * baselines ({@link #addBaseline}) dashed without markers.
   */
  static Chart jdbcWrite(String file, String title) {
    return new Chart(file, title, Kind.JDBC_WRITE);
  }

  /** Likes per second, merged and one by one ({@link #addLikes}), per posts count, log scale. */
  static Chart jdbcCounter(String file, String title) {
    return new Chart(file, title, Kind.JDBC_COUNTER);
  }

  String file() {
    return file;
  }

  String title() {
    return title;
  }

  boolean isEmpty() {
    return xy ? names.isEmpty() : categories.isEmpty();
  }

  void addSeries(String name, List<Double> x, List<Double> y) {
    if (!x.isEmpty()) {
      names.add(name);
      xs.add(x);
      ys.add(y);
      dashed.add(false);
    }
  }

  /** A reference line, drawn dashed and without markers. */
  void addBaseline(String name, List<Double> x, List<Double> y) {
    addSeries(name, x, y);
    if (!x.isEmpty()) {
      dashed.set(dashed.size() - 1, true);
    }
  }

  void addBars(String category, double p50us, double p99us, double p999us) {
    categories.add(category);
    p50.add(p50us);
    p99.add(p99us);
    p999.add(p999us);
  }

  /** A posts count's pair of bars, kept in the p50 and p99 lists (unused by this kind). */
  void addLikes(String category, double merged, double oneByOne) {
    categories.add(category);
    p50.add(merged);
    p99.add(oneByOne);
    p999.add(Double.NaN);
  }

  /** The write strategies' colours, the same on every chart. */
  private static final Map<String, Color> STRATEGY_COLORS = Map.of(
      "ONE_BY_ONE", new Color(0x4363d8), "JDBC_BATCH", new Color(0xf58231),
      "MULTI_ROW", new Color(0x911eb4), "UNNEST", new Color(0x3cb44b),
      "COPY", new Color(0xe6194b), "UPSERT", new Color(0x42d4f4),
      "INSERT_IGNORE", new Color(0x9a6324));

  void write(Path dir) throws IOException {
    String path = dir.resolve(file).toString();
    if (kind == Kind.JDBC_WRITE) {
      XYChart c = new XYChartBuilder().width(900).height(560).title(title)
          .xAxisTitle("batch size (log scale)").yAxisTitle("rows/s (log scale)").build();
      c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
      c.getStyler().setMarkerSize(8);
      c.getStyler().setXAxisLogarithmic(true);
      c.getStyler().setYAxisLogarithmic(true);
      c.getStyler().setXAxisDecimalPattern("#");
      // baselines in black and grey, so they never share a colour with a strategy
      List<Color> grey = List.of(Color.BLACK, Color.GRAY);
      int baselines = 0;
      for (int i = 0; i < names.size(); i++) {
        XYSeries s = c.addSeries(names.get(i), xs.get(i), ys.get(i));
        if (dashed.get(i)) {
          s.setLineStyle(SeriesLines.DASH_DASH);
          s.setMarker(SeriesMarkers.NONE);
          s.setLineColor(grey.get(baselines++ % grey.size()));
        } else if (STRATEGY_COLORS.containsKey(names.get(i))) {
          // one colour per strategy on every database's chart, none alike
          Color color = STRATEGY_COLORS.get(names.get(i));
          s.setLineColor(color);
          s.setMarkerColor(color);
        }
      }
      BitmapEncoder.saveBitmap(c, path, BitmapEncoder.BitmapFormat.PNG);
    } else if (kind == Kind.JDBC_COUNTER) {
      CategoryChart c = new CategoryChartBuilder().width(800).height(520).title(title)
          .xAxisTitle("posts the likes are spread over").yAxisTitle("likes/s (log scale)")
          .build();
      c.getStyler().setYAxisLogarithmic(true);
      // bars start from the axis minimum, which a log axis must keep above zero: the power of
      // ten below the smallest bar
      double min = Stream.concat(p50.stream(), p99.stream())
          .filter(v -> v > 0).mapToDouble(v -> v).min().orElse(1.0);
      c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
      c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
      c.addSeries("merged (batcher, COUNTER_MERGE)", categories, p50);
      c.addSeries("one UPDATE per like", categories, p99);
      BitmapEncoder.saveBitmap(c, path, BitmapEncoder.BitmapFormat.PNG);
    } else if (xy) {
      XYChart c = new XYChartBuilder().width(900).height(520).title(title)
          .xAxisTitle("producer threads").yAxisTitle("delivered items/s (millions)").build();
      c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
      c.getStyler().setMarkerSize(8);
      c.getStyler().setYAxisMin(0.0);
      c.getStyler().setXAxisDecimalPattern("#");
      for (int i = 0; i < names.size(); i++) {
        c.addSeries(names.get(i), xs.get(i), ys.get(i));
      }
      BitmapEncoder.saveBitmap(c, path, BitmapEncoder.BitmapFormat.PNG);
    } else {
      CategoryChart c = new CategoryChartBuilder().width(1100).height(520).title(title)
          .xAxisTitle("library, maxDelay").yAxisTitle("microseconds (log scale)").build();
      c.getStyler().setYAxisLogarithmic(true);
      c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
      c.getStyler().setXAxisLabelRotation(30);
      c.getStyler().setYAxisMin(1.0);
      c.addSeries("p50", categories, p50);
      c.addSeries("p99", categories, p99);
      c.addSeries("p99.9", categories, p999);
      BitmapEncoder.saveBitmap(c, path, BitmapEncoder.BitmapFormat.PNG);
    }
  }
}
