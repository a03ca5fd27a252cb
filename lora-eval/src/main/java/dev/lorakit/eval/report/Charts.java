package dev.lorakit.eval.report;

import dev.lorakit.eval.metrics.ConfusionMatrix;
import java.awt.Color;
import dev.lorakit.core.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's PNG charts, drawn with XChart off screen (no display needed). */
public final class Charts {

  static {
    // Charts are drawn off screen, also on machines that have a display.
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
  }


  private static final int WIDTH = 900;
  private static final int HEIGHT = 540;

  private Charts() {}

  /** Base versus tuned primary metric per task, as grouped bars. */
  static void metricBars(Path file, List<TaskComparison> tasks, String baseModel, String tunedModel) throws IOException {
    CategoryChart chart =
        new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Base vs tuned").xAxisTitle("task")
            .yAxisTitle("score (mean)").build();
    List<String> names = new ArrayList<>();
    List<Double> base = new ArrayList<>();
    List<Double> tuned = new ArrayList<>();
    for (TaskComparison t : tasks) {
      names.add(t.task() + " (" + t.metric() + ")");
      base.add(t.baseCi().estimate());
      tuned.add(t.tunedCi().estimate());
    }
    chart.addSeries(baseModel, names, base);
    chart.addSeries(tunedModel, names, tuned);
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setLegendVisible(true).setChartBackgroundColor(Color.WHITE);
    save(chart, file);
  }

  /** A confusion matrix as a heat map: true labels up the side, predicted labels along the bottom. */
  static void confusion(Path file, ConfusionMatrix m, String title) throws IOException {
    HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title).build();
    List<Number[]> cells = new ArrayList<>();
    for (int r = 0; r < m.rowLabels().size(); r++) {
      for (int c = 0; c < m.columnLabels().size(); c++) cells.add(new Number[] {c, r, m.counts()[r][c]});
    }
    chart.addSeries("count", m.columnLabels(), m.rowLabels(), cells);
    chart.getStyler().setShowValue(true);
    // White for empty cells up to dark blue for the largest count, so the diagonal stands out.
    chart.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(0x9e, 0xca, 0xe1), new Color(0x08, 0x30, 0x6b)});
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.setXAxisTitle("predicted");
    chart.setYAxisTitle("true");
    save(chart, file);
  }

  /** Training loss against step, as a PNG; replaces {@code file} atomically. */
  public static void lossCurve(Path file, List<TrainingPoint> points) throws IOException {
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Training loss").xAxisTitle("step").yAxisTitle("loss").build();
    double[] x = points.stream().mapToDouble(TrainingPoint::step).toArray();
    double[] y = points.stream().mapToDouble(TrainingPoint::loss).toArray();
    chart.addSeries("loss", x, y).setMarker(SeriesMarkers.NONE);
    chart.getStyler().setLegendVisible(false).setChartBackgroundColor(Color.WHITE);
    save(chart, file);
  }

  private static void save(Chart<?, ?> chart, Path file) throws IOException {
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    try (AtomicFile f = AtomicFile.create(file)) {
      f.write(ByteBuffer.wrap(png));
      f.commit();
    }
  }
}
