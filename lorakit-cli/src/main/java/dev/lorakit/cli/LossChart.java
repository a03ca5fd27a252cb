package dev.lorakit.cli;

import dev.lorakit.core.io.AtomicFile;
import java.awt.Color;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The training loss against the step, as a PNG drawn off screen. */
final class LossChart {

  private LossChart() {}

  static void write(Path file, List<double[]> stepAndLoss) throws IOException {
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(540).title("Training loss").xAxisTitle("step")
        .yAxisTitle("loss").build();
    double[] x = stepAndLoss.stream().mapToDouble(p -> p[0]).toArray();
    double[] y = stepAndLoss.stream().mapToDouble(p -> p[1]).toArray();
    chart.addSeries("loss", x, y).setMarker(SeriesMarkers.NONE);
    chart.getStyler().setLegendVisible(false).setChartBackgroundColor(Color.WHITE);
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    try (AtomicFile f = AtomicFile.create(file)) {
      f.write(ByteBuffer.wrap(png));
      f.commit();
    }
  }
}
