package dev.lorakit.cli;

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
 * {@code lorakit compare-grads}: holds one loss-and-gradients file ({@code lora-grads}'s layout) to another: the
 * loss by relative difference, every {@code grad.*} tensor by relative L2 distance. Exit status 0 when all are within
 * tolerance, 1 when one is not, 2 for a user error. A development tool, hidden from the command list.
 */
@Command(
    name = "compare-grads",
    hidden = true,
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Compares two safetensors files with loss [1] and grad.* tensors: |loss - ref| / |ref| against --loss-tol,"
          + " and for every gradient |g - ref|_2 / |ref|_2 against --grad-tol. Prints one row per tensor and a"
          + " verdict; exits 0 on PASS, 1 on FAIL."
    })
final class CompareGradsCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "ACTUAL", description = "The file under test (e.g. lorakit's).")
  Path actual;

  @Parameters(index = "1", paramLabel = "REFERENCE", description = "The reference file (e.g. transformers + PEFT).")
  Path reference;

  @Option(names = "--loss-tol", defaultValue = "1e-2", paramLabel = "X",
      description = "Largest relative loss difference (default: ${DEFAULT-VALUE}).")
  double lossTol;

  @Option(names = "--grad-tol", defaultValue = "5e-2", paramLabel = "X",
      description = "Largest relative L2 distance of a gradient (default: ${DEFAULT-VALUE}).")
  double gradTol;

  @Spec CommandSpec spec;

  private record Row(String name, double error) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    try (SafeTensorsFile a = SafeTensorsFile.open(actual); SafeTensorsFile r = SafeTensorsFile.open(reference)) {
      TreeSet<String> names = new TreeSet<>();
      for (String n : r.names()) if (n.startsWith("grad.")) names.add(n);
      TreeSet<String> ours = new TreeSet<>();
      for (String n : a.names()) if (n.startsWith("grad.")) ours.add(n);
      for (String n : new String[] {"loss"}) {
        if (!a.names().contains(n)) throw new IllegalArgumentException(actual + " has no tensor \"loss\".");
        if (!r.names().contains(n)) throw new IllegalArgumentException(reference + " has no tensor \"loss\".");
      }
      if (names.isEmpty()) throw new IllegalArgumentException(reference + " has no grad.* tensors.");
      if (!ours.equals(names)) {
        TreeSet<String> missing = new TreeSet<>(names);
        missing.removeAll(ours);
        TreeSet<String> extra = new TreeSet<>(ours);
        extra.removeAll(names);
        throw new IllegalArgumentException("The two files hold different gradients: " + actual + " lacks "
            + (missing.isEmpty() ? "none" : "\"" + missing.first() + "\"" + (missing.size() > 1 ? " and "
            + (missing.size() - 1) + " more" : "")) + " and has " + (extra.isEmpty() ? "none extra" : "\""
            + extra.first() + "\"" + (extra.size() > 1 ? " and " + (extra.size() - 1) + " more" : "")
            + " extra") + ".");
      }
      double lossA = a.floats("loss")[0];
      double lossR = r.floats("loss")[0];
      double lossError = Math.abs(lossA - lossR) / Math.abs(lossR);
      List<Row> rows = new ArrayList<>();
      for (String n : names) {
        if (!Arrays.equals(a.info(n).shape(), r.info(n).shape())) {
          throw new IllegalArgumentException("\"" + n + "\" has shape " + Arrays.toString(a.info(n).shape()) + " in "
              + actual + " but " + Arrays.toString(r.info(n).shape()) + " in " + reference + ".");
        }
        rows.add(new Row(n, Errors.relativeL2(a.floats(n), r.floats(n))));
      }
      for (Row row : rows) {
        o.printf(Locale.ROOT, "%-72s rel L2 %.3e %s%n", row.name.substring("grad.".length()), row.error,
            verdict(row.error, gradTol));
      }
      double[] sorted = rows.stream().mapToDouble(Row::error).sorted().toArray();
      Row worst = rows.stream().max((x, y) -> Double.compare(x.error, y.error)).orElseThrow();
      boolean lossOk = lossError <= lossTol;
      boolean gradsOk = sorted[sorted.length - 1] <= gradTol;
      o.printf(Locale.ROOT, "loss: %.6f vs reference %.6f, relative difference %.3e (tolerance %.0e): %s%n", lossA,
          lossR, lossError, lossTol, lossOk ? "PASS" : "FAIL");
      o.printf(Locale.ROOT, "gradients: %d tensors, relative L2 median %.3e, worst %.3e (%s) (tolerance %.0e): %s%n",
          rows.size(), sorted[sorted.length / 2], worst.error, worst.name.substring("grad.".length()), gradTol,
          gradsOk ? "PASS" : "FAIL");
      o.println(lossOk && gradsOk ? "PASS" : "FAIL");
      o.flush();
      return lossOk && gradsOk ? 0 : 1;
    }
  }

  private static String verdict(double error, double tol) {
    return error <= tol ? "ok" : "FAIL";
  }
}
