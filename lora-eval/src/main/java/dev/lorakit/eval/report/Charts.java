package dev.lorakit.eval.report;

import dev.lorakit.core.io.AtomicFile;
import dev.lorakit.eval.metrics.ConfusionMatrix;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.awt.Color;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's PNG charts, drawn with XChart off screen (no display needed). */
public final class Charts {

  static {
    // Charts are drawn off screen, also on machines that have a display.
    if (System.getProperty("java.awt.headless") == null)
      System.setProperty("java.awt.headless", "true");
  }

  private static final int WIDTH = 900;
  private static final int HEIGHT = 540;

  private Charts() {}

  /**
   * One model's primary metric on one task, with its interval: one dot and whisker of {@code
   * metrics.png}.
   */
  record MetricPoint(
      String model, int task, double x, double estimate, double lower, double upper) {}

  private static final Color BASELINE_COLOR = new Color(0x88, 0x88, 0x88);
  private static final Color BASE_COLOR = new Color(0x1f, 0x77, 0xb4);
  private static final Color TUNED_COLOR = new Color(0xff, 0x7f, 0x0e);

  /**
   * The dots and whiskers of {@link #metricBars}: per task the baseline (if any), base and tuned,
   * side by side.
   */
  static List<MetricPoint> metricPoints(
      List<TaskComparison> tasks, List<Baseline> baselines, String baseModel, String tunedModel) {
    List<MetricPoint> out = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      TaskComparison t = tasks.get(i);
      for (Baseline b : baselines) {
        if (b.task().equals(t.task())) out.add(point("baseline", i, -0.25, b.ci()));
      }
      out.add(point(baseModel, i, 0, t.baseCi()));
      out.add(point(tunedModel, i, 0.25, t.tunedCi()));
    }
    return out;
  }

  private static MetricPoint point(String model, int task, double offset, ConfidenceInterval ci) {
    return new MetricPoint(model, task, task + offset, ci.estimate(), ci.lower(), ci.upper());
  }

  /**
   * Base versus tuned primary metric per task (and the constant-answer baseline when given): a dot
   * at the mean and a whisker over its 95% interval, which need not be symmetric.
   */
  static void metricBars(
      Path file,
      List<TaskComparison> tasks,
      List<Baseline> baselines,
      String baseModel,
      String tunedModel)
      throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Primary metric per task, mean and 95% interval")
            .xAxisTitle("task")
            .yAxisTitle("score")
            .build();
    List<MetricPoint> points = metricPoints(tasks, baselines, baseModel, tunedModel);
    Map<String, Color> colors = new LinkedHashMap<>();
    colors.put("baseline", BASELINE_COLOR);
    colors.put(baseModel, BASE_COLOR);
    colors.put(tunedModel, TUNED_COLOR);
    for (Map.Entry<String, Color> model : colors.entrySet()) {
      List<MetricPoint> mine =
          points.stream().filter(p -> p.model().equals(model.getKey())).toList();
      if (mine.isEmpty()) continue;
      XYSeries dots =
          chart.addSeries(
              model.getKey(),
              mine.stream().mapToDouble(MetricPoint::x).toArray(),
              mine.stream().mapToDouble(MetricPoint::estimate).toArray());
      dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
          .setMarker(SeriesMarkers.CIRCLE)
          .setMarkerColor(model.getValue());
      for (MetricPoint p : mine) {
        XYSeries whisker =
            chart.addSeries(
                model.getKey() + " interval " + p.task(),
                new double[] {p.x(), p.x()},
                new double[] {p.lower(), p.upper()});
        whisker.setMarker(SeriesMarkers.NONE).setLineColor(model.getValue()).setShowInLegend(false);
      }
    }
    // Task names above their groups: the axis' own ticks need not fall on the groups' centres.
    for (int i = 0; i < tasks.size(); i++) {
      chart.addAnnotation(
          new AnnotationText(
              tasks.get(i).task() + " (" + tasks.get(i).metric() + ")", i, 1.05, false));
    }
    chart.getStyler().setXAxisTicksVisible(false);
    chart
        .getStyler()
        .setXAxisMin(-0.5)
        .setXAxisMax(tasks.size() - 0.5)
        .setYAxisMin(0.0)
        .setYAxisMax(1.1)
        .setLegendVisible(true)
        .setChartBackgroundColor(Color.WHITE);
    save(chart, file);
  }

  /**
   * The cells of a confusion matrix's heat map and its labels up the side: the first true label on
   * top, so that the diagonal runs from the top left to the bottom right (a heat map counts rows
   * from the bottom).
   */
  record ConfusionCells(List<String> rowLabelsBottomUp, List<Number[]> cells) {}

  static ConfusionCells confusionCells(ConfusionMatrix m) {
    int rows = m.rowLabels().size();
    List<Number[]> cells = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < m.columnLabels().size(); c++)
        cells.add(new Number[] {c, rows - 1 - r, m.counts()[r][c]});
    }
    List<String> labels = new ArrayList<>(m.rowLabels());
    Collections.reverse(labels);
    return new ConfusionCells(labels, cells);
  }

  /**
   * A confusion matrix as a heat map: true labels down the side, predicted along the bottom, counts
   * as integers.
   */
  static void confusion(Path file, ConfusionMatrix m, String title) throws IOException {
    HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title).build();
    ConfusionCells cells = confusionCells(m);
    chart.addSeries("count", m.columnLabels(), cells.rowLabelsBottomUp(), cells.cells());
    chart.getStyler().setShowValue(true).setHeatMapValueDecimalPattern("#0");
    chart.getStyler().setDecimalPattern("#0"); // the colour legend's counts too
    // White for empty cells up to dark blue for the largest count, so the diagonal stands out.
    chart
        .getStyler()
        .setRangeColors(
            new Color[] {Color.WHITE, new Color(0x9e, 0xca, 0xe1), new Color(0x08, 0x30, 0x6b)});
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.setXAxisTitle("predicted");
    chart.setYAxisTitle("true");
    save(chart, file);
  }

  /** Training loss against step, as a PNG; replaces {@code file} atomically. */
  public static void lossCurve(Path file, List<TrainingPoint> points) throws IOException {
    lossCurve(file, points, List.of());
  }

  /**
   * Training loss against step: each step's loss faintly, its moving average ({@link #smooth})
   * boldly, and the validation loss (when there is any) as dots; replaces {@code file} atomically.
   */
  public static void lossCurve(
      Path file, List<TrainingPoint> points, List<TrainingPoint> validation) throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Training loss")
            .xAxisTitle("step")
            .yAxisTitle("loss")
            .build();
    double[] x = points.stream().mapToDouble(TrainingPoint::step).toArray();
    double[] y = points.stream().mapToDouble(TrainingPoint::loss).toArray();
    chart
        .addSeries("loss per step", x, y)
        .setMarker(SeriesMarkers.NONE)
        .setLineColor(new Color(0xa6, 0xc8, 0xe6));
    chart
        .addSeries("smoothed", x, smooth(y))
        .setMarker(SeriesMarkers.NONE)
        .setLineColor(BASE_COLOR);
    if (!validation.isEmpty()) {
      chart
          .addSeries(
              "validation",
              validation.stream().mapToDouble(TrainingPoint::step).toArray(),
              validation.stream().mapToDouble(TrainingPoint::loss).toArray())
          .setMarker(SeriesMarkers.CIRCLE)
          .setMarkerColor(TUNED_COLOR)
          .setLineColor(TUNED_COLOR);
    }
    chart.getStyler().setxAxisTickLabelsFormattingFunction(Charts::stepLabel);
    chart.getStyler().setLegendVisible(true).setChartBackgroundColor(Color.WHITE);
    save(chart, file);
  }

  /**
   * A centred moving average over about a fiftieth of the run on each side (none for fewer than 25
   * points): it follows the trend without the lag of an exponential average, which draws an early,
   * steep descent above the losses it summarises. At the ends the window holds the points there
   * are.
   */
  static double[] smooth(double[] y) {
    int half = (int) Math.round(y.length / 50.0);
    double[] out = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      int from = Math.max(0, i - half);
      int to = Math.min(y.length - 1, i + half);
      double sum = 0;
      for (int j = from; j <= to; j++) sum += y[j];
      out[i] = sum / (to - from + 1);
    }
    return out;
  }

  /** A step count as an axis label: 40, 1.5k, 10k. */
  static String stepLabel(double step) {
    if (Math.abs(step) < 1000) return String.format(Locale.ROOT, "%.0f", step);
    double k = step / 1000;
    return Math.abs(k - Math.rint(k)) < 1e-9
        ? String.format(Locale.ROOT, "%.0fk", k)
        : String.format(Locale.ROOT, "%.1fk", k);
  }

  private static void save(Chart<?, ?> chart, Path file) throws IOException {
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    try (AtomicFile f = AtomicFile.create(file)) {
      f.write(ByteBuffer.wrap(png));
      f.commit();
    }
  }
}
