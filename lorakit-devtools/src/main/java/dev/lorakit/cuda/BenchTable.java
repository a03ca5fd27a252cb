package dev.lorakit.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A side-by-side benchmark table: one row per case with lorakit's figure, the reference figure
 * (torch, or the device's copy bandwidth), their ratio and whether the ratio meets the target.
 * Higher figures are better.
 */
final class BenchTable {

  /** One measured case; {@code reference} is NaN when the reference could not be measured. */
  record Row(String name, double ours, double reference) {
    double ratio() {
      return ours / reference;
    }
  }

  private final String title;
  private final String unit;
  private final String referenceName;
  private final double target;
  private final List<Row> rows = new ArrayList<>();

  BenchTable(String title, String unit, String referenceName, double target) {
    this.title = title;
    this.unit = unit;
    this.referenceName = referenceName;
    this.target = target;
  }

  void add(String name, double ours, double reference) {
    rows.add(new Row(name, ours, reference));
  }

  List<Row> rows() {
    return List.copyOf(rows);
  }

  /** Rows whose ratio is below the target (a row without a reference counts as below). */
  long below() {
    return rows.stream().filter(r -> !(r.ratio() >= target)).count();
  }

  String format() {
    int width = Math.max(4, rows.stream().mapToInt(r -> r.name().length()).max().orElse(4));
    String head = "%-" + width + "s  %12s  %12s  %7s  %s%n";
    StringBuilder b = new StringBuilder(title).append('\n');
    b.append(
        String.format(
            Locale.ROOT,
            head,
            "case",
            "lorakit " + unit,
            referenceName + " " + unit,
            "ratio",
            "target >= " + target));
    for (Row r : rows) {
      String verdict =
          Double.isNaN(r.reference()) ? "no reference" : r.ratio() >= target ? "ok" : "BELOW";
      b.append(
          String.format(
              Locale.ROOT,
              "%-" + width + "s  %12.1f  %12.1f  %7.2f  %s%n",
              r.name(),
              r.ours(),
              r.reference(),
              r.ratio(),
              verdict));
    }
    return b.toString();
  }

  private static final Pattern LINE =
      Pattern.compile("\\{\"name\": \"([^\"]+)\", \"ms\": ([0-9.eE+-]+)}");

  /**
   * The milliseconds per case from the torch script's output lines ({@code {"name": "...", "ms":
   * 1.23}}); other lines (warnings) are ignored.
   */
  static Map<String, Double> parseTorchLines(List<String> lines) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : lines) {
      Matcher m = LINE.matcher(line.strip());
      if (m.matches()) {
        out.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return out;
  }

  /** TFLOP/s of a {@code m x n x k} product done in {@code ms} milliseconds. */
  static double tflops(long m, long n, long k, double ms) {
    return 2.0 * m * n * k / (ms * 1e-3) / 1e12;
  }

  /** GB/s of moving {@code bytes} in {@code ms} milliseconds. */
  static double gbPerSecond(double bytes, double ms) {
    return bytes / (ms * 1e-3) / 1e9;
  }
}
