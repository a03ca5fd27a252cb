package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.tensor.Errors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit-dev compare-grads}: holds one loss-and-gradients file ({@code lora-grads}'s
 * layout) to another: the loss by relative difference, every {@code grad.*} tensor by relative L2
 * distance. Exit status 0 when all are within tolerance, 1 when one is not, 2 for a user error. A
 * development tool, hidden from the command list.
 *
 * <p>Two bf16 computations of the same step differ by the sum of their rounding errors, so holding
 * lorakit-bf16 to PEFT-bf16 with a fixed tolerance fails a computation that is closer to the truth
 * than PEFT's own. {@code --peer} states the gate that matters: lorakit-bf16 is no farther from the
 * fp32 reference than PEFT-bf16 is.
 */
@Command(
    name = "compare-grads",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Compares two safetensors files with loss [1] and grad.* tensors: |loss - ref| / |ref| against --loss-tol,"
          + " and for every gradient |g - ref|_2 / |ref|_2 against --grad-tol. Prints one row per tensor and a"
          + " verdict; exits 0 on PASS, 1 on FAIL. With --peer the gate is relative to another computation's"
          + " distance from the same reference."
    })
final class CompareGradsCommand implements Callable<Integer> {

  @Parameters(
      index = "0",
      paramLabel = "ACTUAL",
      description = "The file under test (e.g. lorakit's).")
  Path actual;

  @Parameters(
      index = "1",
      paramLabel = "REFERENCE",
      description = "The reference file (e.g. transformers + PEFT).")
  Path reference;

  @Option(
      names = "--loss-tol",
      defaultValue = "1e-2",
      paramLabel = "X",
      description = "Largest relative loss difference (default: ${DEFAULT-VALUE}).")
  double lossTol;

  @Option(
      names = "--grad-tol",
      defaultValue = "5e-2",
      paramLabel = "X",
      description = "Largest relative L2 distance of a gradient (default: ${DEFAULT-VALUE}).")
  double gradTol;

  @Option(
      names = "--peer",
      paramLabel = "FILE",
      description =
          "Another computation of the same quantities (e.g. transformers + PEFT in bf16 when REFERENCE is"
              + " its fp32 run). The gate then becomes relative: ACTUAL passes when its gradients' median and worst"
              + " relative L2 distance to REFERENCE are each at most --peer-factor times PEER's, and its loss difference"
              + " at most --loss-tol or --peer-factor times PEER's, whichever is larger; --grad-tol is not used.")
  Path peer;

  @Option(
      names = "--peer-factor",
      defaultValue = "1.1",
      paramLabel = "X",
      description =
          "How much farther from REFERENCE than PEER ACTUAL may be (default: ${DEFAULT-VALUE}).")
  double peerFactor;

  @Spec CommandSpec spec;

  private record Row(String name, double error) {}

  /**
   * One file's distance to the reference: the loss's relative difference and each gradient's
   * relative L2.
   */
  private record Distance(double lossValue, double lossRef, double lossError, List<Row> rows) {
    double median() {
      double[] sorted = rows.stream().mapToDouble(Row::error).sorted().toArray();
      return sorted[sorted.length / 2];
    }

    Row worst() {
      return rows.stream().max((x, y) -> Double.compare(x.error, y.error)).orElseThrow();
    }
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    if (peerFactor <= 0 || !Double.isFinite(peerFactor)) {
      throw new LorakitInputException(
          "--peer-factor is " + peerFactor + ", expected a positive number.");
    }
    try (SafeTensorsFile r = SafeTensorsFile.open(reference)) {
      Distance d = distance(actual, r);
      for (Row row : d.rows) {
        o.printf(
            Locale.ROOT,
            "%-72s rel L2 %.3e %s%n",
            row.name.substring("grad.".length()),
            row.error,
            peer == null ? verdict(row.error, gradTol) : "");
      }
      Row worst = d.worst();
      boolean lossOk;
      boolean gradsOk;
      if (peer == null) {
        lossOk = d.lossError <= lossTol;
        gradsOk = worst.error <= gradTol;
        o.printf(
            Locale.ROOT,
            "loss: %.6f vs reference %.6f, relative difference %.3e (tolerance %.0e): %s%n",
            d.lossValue,
            d.lossRef,
            d.lossError,
            lossTol,
            pass(lossOk));
        o.printf(
            Locale.ROOT,
            "gradients: %d tensors, relative L2 median %.3e, worst %.3e (%s) (tolerance %.0e): %s%n",
            d.rows.size(),
            d.median(),
            worst.error,
            worst.name.substring("grad.".length()),
            gradTol,
            pass(gradsOk));
      } else {
        Distance p = distance(peer, r);
        double lossBound = Math.max(lossTol, peerFactor * p.lossError);
        lossOk = d.lossError <= lossBound;
        boolean medianOk = d.median() <= peerFactor * p.median();
        boolean worstOk = worst.error <= peerFactor * p.worst().error;
        gradsOk = medianOk && worstOk;
        o.printf(
            Locale.ROOT,
            "loss: %.6f vs reference %.6f, relative difference %.3e; peer %.3e (bound %.3e): %s%n",
            d.lossValue,
            d.lossRef,
            d.lossError,
            p.lossError,
            lossBound,
            pass(lossOk));
        o.printf(
            Locale.ROOT,
            "gradients: %d tensors, relative L2 median %.3e vs peer %.3e x %.2f: %s; worst %.3e (%s)"
                + " vs peer %.3e x %.2f: %s%n",
            d.rows.size(),
            d.median(),
            p.median(),
            peerFactor,
            pass(medianOk),
            worst.error,
            worst.name.substring("grad.".length()),
            p.worst().error,
            peerFactor,
            pass(worstOk));
      }
      o.println(pass(lossOk && gradsOk));
      o.flush();
      return lossOk && gradsOk ? 0 : 1;
    }
  }

  /**
   * The distance of {@code file} to the reference, after checking both hold the same loss and
   * gradients.
   */
  private static Distance distance(Path file, SafeTensorsFile r) throws IOException {
    Path reference = r.path();
    try (SafeTensorsFile a = SafeTensorsFile.open(file)) {
      TreeSet<String> names = new TreeSet<>();
      for (String n : r.names()) if (n.startsWith("grad.")) names.add(n);
      TreeSet<String> ours = new TreeSet<>();
      for (String n : a.names()) if (n.startsWith("grad.")) ours.add(n);
      if (!a.names().contains("loss"))
        throw new LorakitInputException(file + " has no tensor \"loss\".");
      if (!r.names().contains("loss"))
        throw new LorakitInputException(reference + " has no tensor \"loss\".");
      if (names.isEmpty()) throw new LorakitInputException(reference + " has no grad.* tensors.");
      if (!ours.equals(names)) {
        TreeSet<String> missing = new TreeSet<>(names);
        missing.removeAll(ours);
        TreeSet<String> extra = new TreeSet<>(ours);
        extra.removeAll(names);
        throw new LorakitInputException(
            "The two files hold different gradients: "
                + file
                + " lacks "
                + (missing.isEmpty()
                    ? "none"
                    : "\""
                        + missing.first()
                        + "\""
                        + (missing.size() > 1 ? " and " + (missing.size() - 1) + " more" : ""))
                + " and has "
                + (extra.isEmpty()
                    ? "none extra"
                    : "\""
                        + extra.first()
                        + "\""
                        + (extra.size() > 1 ? " and " + (extra.size() - 1) + " more" : "")
                        + " extra")
                + ".");
      }
      double lossA = a.floats("loss")[0];
      double lossR = r.floats("loss")[0];
      List<Row> rows = new ArrayList<>();
      for (String n : names) {
        if (!Arrays.equals(a.info(n).shape(), r.info(n).shape())) {
          throw new LorakitInputException(
              "\""
                  + n
                  + "\" has shape "
                  + Arrays.toString(a.info(n).shape())
                  + " in "
                  + file
                  + " but "
                  + Arrays.toString(r.info(n).shape())
                  + " in "
                  + reference
                  + ".");
        }
        rows.add(new Row(n, Errors.relativeL2(a.floats(n), r.floats(n))));
      }
      return new Distance(lossA, lossR, Math.abs(lossA - lossR) / Math.abs(lossR), rows);
    }
  }

  private static String pass(boolean ok) {
    return ok ? "PASS" : "FAIL";
  }

  private static String verdict(double error, double tol) {
    return error <= tol ? "ok" : "FAIL";
  }
}
