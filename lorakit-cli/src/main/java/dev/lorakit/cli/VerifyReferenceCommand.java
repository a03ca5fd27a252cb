package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.Precision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit verify-reference}: runs a Hugging Face reference folder (a tiny model, a PEFT
 * adapter, and the values transformers and PEFT computed in float64) through lorakit and prints one
 * row per compared quantity. Exit status 0 when every quantity is within tolerance, 1 when one is
 * not, 2 for a user error.
 */
@Command(
    name = "verify-reference",
    mixinStandardHelpOptions = true,
    description = {
      "Checks lorakit against a Hugging Face reference folder: base/ (model folder), adapter_init/ (PEFT adapter),"
          + " reference.json and reference.safetensors.",
      "Prints one row per quantity (logits, hidden states, losses, LoRA gradients, AdamW steps, greedy tokens);"
          + " exits 0 if all are within tolerance, 1 if any is not."
    })
final class VerifyReferenceCommand implements Callable<Integer> {

  /** Exit status when a quantity is out of tolerance. */
  static final int FAILED = 1;

  @Parameters(index = "0", paramLabel = "DIR", description = "The reference folder.")
  Path dir;

  @Option(
      names = "--precision",
      paramLabel = "P",
      defaultValue = "fp32",
      description =
          "fp32 (default) or bf16 (bf16 weights; on a GPU bf16 activations too): the precision computed in and "
              + "the tolerances it is held to.")
  String precision;

  @Option(
      names = "--device",
      paramLabel = "D",
      defaultValue = "cpu",
      description = "cpu (default), cuda or auto (a GPU if one can be used, else the CPU).")
  String device;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Precision p = Cli.precision(precision);
    ReferenceVerifier.Tolerances tolerances = ReferenceVerifier.Tolerances.of(p);
    PrintWriter out = spec.commandLine().getOut();
    ReferenceVerifier.Result result;
    try (Backend backend = Cli.backend(device, p, spec.commandLine().getErr())) {
      result = new ReferenceVerifier(dir, backend, p, tolerances).run();
    }
    out.println("Reference " + dir + ": " + result.summary());
    int width =
        Math.max(
            "quantity".length(),
            result.rows().stream().mapToInt(r -> r.quantity().length()).max().orElse(0));
    String format = "%-" + width + "s  %-13s  %10s  %9s  %s%n";
    out.printf(Locale.ROOT, format, "quantity", "metric", "error", "tolerance", "result");
    int failed = 0;
    for (ReferenceVerifier.Row r : result.rows()) {
      out.printf(
          Locale.ROOT,
          format,
          r.quantity(),
          r.metric(),
          number(r, r.error()),
          number(r, r.tolerance()),
          r.passed() ? "PASS" : "FAIL");
      failed += r.passed() ? 0 : 1;
    }
    for (String note : result.notes()) {
      out.println("note: " + note);
    }
    int total = result.rows().size();
    out.println(
        failed == 0
            ? "PASS: all " + total + " quantities within tolerance."
            : "FAIL: " + failed + " of " + total + " quantities out of tolerance.");
    out.flush();
    return failed == 0 ? 0 : FAILED;
  }

  /** Errors and tolerances in scientific notation; token counts as integers. */
  private static String number(ReferenceVerifier.Row r, double v) {
    return r.metric().equals(ReferenceVerifier.Row.TOKENS)
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.3e", v);
  }
}
