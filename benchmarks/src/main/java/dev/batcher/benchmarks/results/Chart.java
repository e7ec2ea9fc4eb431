package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** A PNG chart of the report, drawn with XChart when written. */
final class Chart {
  private final String file;
  private final String title;
  private final boolean xy;
  private final List<String> names = new ArrayList<>();
  private final List<List<Double>> xs = new ArrayList<>();
  private final List<List<Double>> ys = new ArrayList<>();
  private final List<String> categories = new ArrayList<>();
  private final List<Double> p50 = new ArrayList<>();
  private final List<Double> p99 = new ArrayList<>();
  private final List<Double> p999 = new ArrayList<>();

  private Chart(String file, String title, boolean xy) {
    this.file = file;
    this.title = title;
    this.xy = xy;
  }

  /** Delivered millions of items per second against producer threads, a line per library. */
  static Chart throughput(String file, String title) {
    return new Chart(file, title, true);
  }

  /** p50, p99 and p99.9 bars per library and maxDelay, on a log scale. */
  static Chart latency(String file, String title) {
    return new Chart(file, title, false);
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
    }
  }

  void addBars(String category, double p50us, double p99us, double p999us) {
    categories.add(category);
    p50.add(p50us);
    p99.add(p99us);
    p999.add(p999us);
  }

  void write(Path dir) throws IOException {
    String path = dir.resolve(file).toString();
    if (xy) {
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
