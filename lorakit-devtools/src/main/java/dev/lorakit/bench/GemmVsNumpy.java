package dev.lorakit.bench;

import dev.lorakit.core.backend.CpuBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Times numpy's matmul (OpenBLAS, the external reference) and lorakit's CPU matmul on the same
 * products with the same thread count, shape by shape in one run, and prints a Markdown table with
 * the ratio.
 *
 * <pre>
 * GemmVsNumpy [--threads N] [--shapes all|NAME,NAME...] [--seconds S] [--python PATH]
 * </pre>
 */
public final class GemmVsNumpy {

  private static final double WARMUP_SECONDS = 1.0;
  private static final int MIN_SAMPLES = 5;
  private static final int MAX_SAMPLES = 2000;

  /** One row of the table; {@code numpy} is null when numpy could not be run. */
  record Row(GemmShape shape, Timing numpy, Timing lorakit) {}

  private GemmVsNumpy() {}

  public static void main(String[] args) throws Exception {
    int threads = Runtime.getRuntime().availableProcessors();
    List<GemmShape> shapes = GemmShape.ALL;
    double seconds = 2.0;
    String python = "python3";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(value(args, ++i));
        case "--shapes" -> shapes = shapes(value(args, ++i));
        case "--seconds" -> seconds = Double.parseDouble(value(args, ++i));
        case "--python" -> python = value(args, ++i);
        default ->
            throw new IllegalArgumentException(
                "Unknown option "
                    + args[i]
                    + "; expected --threads N, --shapes all|NAME,..., --seconds S or --python PATH.");
      }
    }
    String script = resource("gemm_numpy.py");
    String missing = numpyMissing(python);
    if (missing != null) {
      System.out.println(missing);
    }
    System.out.println(Environment.describe(threads));
    List<Row> rows = new ArrayList<>();
    String blas = null;
    try (CpuBackend backend = new CpuBackend(threads)) {
      for (GemmShape shape : shapes) {
        Timing numpy = null;
        if (missing == null) {
          String[] out = runNumpy(python, script, shape, threads, seconds);
          numpy =
              new Timing(
                  Double.parseDouble(out[0]), Double.parseDouble(out[1]), Integer.parseInt(out[2]));
          blas = out[3].replace('_', ' ');
        }
        GemmShape.Operands ops = shape.operands(backend, 1);
        Timing ours =
            Timing.of(
                () -> ops.multiply(backend), WARMUP_SECONDS, seconds, MIN_SAMPLES, MAX_SAMPLES);
        Row row = new Row(shape, numpy, ours);
        rows.add(row);
        System.err.println(line(row));
      }
    }
    System.out.println();
    if (blas != null) {
      System.out.println("Reference: " + blas + ", OPENBLAS_NUM_THREADS=" + threads + ".");
    }
    System.out.println(
        "GFLOP/s = 2 m n k / time; best and median of the samples; ratio = lorakit / numpy (medians).");
    System.out.println();
    System.out.println(table(rows));
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("The option " + args[i - 1] + " needs a value.");
    }
    return args[i];
  }

  private static List<GemmShape> shapes(String spec) {
    if (spec.equals("all")) {
      return GemmShape.ALL;
    }
    List<GemmShape> list = new ArrayList<>();
    for (String name : spec.split(",")) {
      list.add(GemmShape.named(name.trim()));
    }
    return list;
  }

  static String resource(String name) throws IOException {
    try (InputStream in = GemmVsNumpy.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("The resource " + name + " is missing from the benchmarks jar.");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Null when {@code python} imports numpy; otherwise the one sentence that says what is missing.
   */
  private static String numpyMissing(String python) {
    try {
      Process p =
          new ProcessBuilder(python, "-c", "import numpy").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return null;
      }
      return "numpy is not installed for " + python + ", so only lorakit's figures are printed.";
    } catch (IOException | InterruptedException e) {
      return python
          + " could not be started ("
          + e.getMessage()
          + "), so only lorakit's figures are printed.";
    }
  }

  private static String[] runNumpy(
      String python, String script, GemmShape s, int threads, double seconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            python,
            "-",
            String.valueOf(s.m()),
            String.valueOf(s.n()),
            String.valueOf(s.k()),
            s.layout().name(),
            String.valueOf(WARMUP_SECONDS),
            String.valueOf(seconds),
            String.valueOf(MIN_SAMPLES),
            String.valueOf(MAX_SAMPLES));
    Environment.forReference(pb.environment(), threads);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(script.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0 || out.split("\\s+").length != 4) {
      throw new IOException(
          "The numpy timing of " + s.name() + " failed (exit " + p.exitValue() + "): " + out);
    }
    return out.split("\\s+");
  }

  static double gflops(GemmShape s, double seconds) {
    return s.flops() / seconds / 1e9;
  }

  private static String line(Row r) {
    return String.format(
        Locale.ROOT,
        "%-12s %-14s %-6s numpy %s, lorakit %s",
        r.shape.name(),
        r.shape.dims(),
        r.shape.layout().name(),
        r.numpy == null ? "-" : fmt(gflops(r.shape, r.numpy.median())),
        fmt(gflops(r.shape, r.lorakit.median())));
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.1f", x);
  }

  static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| shape | m x n x k | layout | role | numpy GFLOP/s (best / median) | lorakit GFLOP/s (best / median) "
            + "| ratio |\n");
    sb.append("|---|---|---|---|---:|---:|---:|\n");
    for (Row r : rows) {
      GemmShape s = r.shape;
      String numpy =
          r.numpy == null
              ? "-"
              : fmt(gflops(s, r.numpy.best())) + " / " + fmt(gflops(s, r.numpy.median()));
      String ours = fmt(gflops(s, r.lorakit.best())) + " / " + fmt(gflops(s, r.lorakit.median()));
      String ratio =
          r.numpy == null
              ? "-"
              : String.format(Locale.ROOT, "%.2f", r.numpy.median() / r.lorakit.median());
      sb.append("| ")
          .append(s.name())
          .append(" | ")
          .append(s.dims())
          .append(" | ")
          .append(s.layout().symbol)
          .append(" | ")
          .append(s.role())
          .append(" | ")
          .append(numpy)
          .append(" | ")
          .append(ours)
          .append(" | ")
          .append(ratio)
          .append(" |\n");
    }
    return sb.toString();
  }
}
