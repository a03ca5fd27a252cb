package dev.lorakit.bench;

import dev.lorakit.core.nn.DecoderConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The train-step benchmark beside the same step through Hugging Face transformers + PEFT on CPU
 * torch (the external yardstick, {@code train_step_torch.py}), in one run with the same thread
 * count, and the ratio of their tokens/s. Without python3, torch, transformers or peft it says so
 * in one sentence and prints lorakit's figure alone.
 *
 * <pre>
 * TrainStepVsTorch [TrainStep's options] [--python PATH]
 * </pre>
 */
public final class TrainStepVsTorch {

  private TrainStepVsTorch() {}

  public static void main(String[] args) throws Exception {
    String python = "python3";
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--python")) {
        python = args[i + 1];
      }
    }
    TrainStep.Options o = TrainStep.Options.parse(args, List.of("--python"));
    String missing = torchMissing(python);
    Double torch = null;
    String versions = null;
    if (missing == null) {
      String[] out = runTorch(python, o);
      torch = o.setup().tokens() / Double.parseDouble(out[0]);
      versions = out[2].replace('_', ' ');
      System.out.printf(
          Locale.ROOT,
          "transformers + PEFT (%s), %d threads: %.0f tokens/s (median step %.3f s, "
              + "best %.3f s)%n%n",
          versions,
          o.threads(),
          torch,
          Double.parseDouble(out[0]),
          Double.parseDouble(out[1]));
    }
    double ours = TrainStep.run(o.setup(), o.threads(), o.warmup(), o.steps());
    System.out.println();
    System.out.println(summary(ours, torch, versions, missing));
  }

  /** The closing lines: both figures and their ratio, or lorakit's alone and why. */
  static String summary(double lorakit, Double torch, String versions, String missing) {
    if (torch == null) {
      return missing + String.format(Locale.ROOT, "%nlorakit: %.0f tokens/s.", lorakit);
    }
    return String.format(
        Locale.ROOT,
        "lorakit %.0f tokens/s, transformers + PEFT (%s) %.0f tokens/s: ratio %.2f",
        lorakit,
        versions,
        torch,
        lorakit / torch);
  }

  /**
   * Null when {@code python} imports torch, transformers and peft; otherwise one sentence saying
   * what is missing.
   */
  static String torchMissing(String python) {
    try {
      Process p =
          new ProcessBuilder(python, "-c", "import torch, transformers, peft")
              .redirectErrorStream(true)
              .start();
      String err = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return null;
      }
      String module = err.replaceAll("(?s).*No module named '([^']+)'.*", "$1");
      return (module.equals(err)
              ? "torch, transformers and peft are not all importable"
              : module + " is not installed")
          + " for "
          + python
          + ", so the PyTorch side is not measured and only lorakit's figure is printed.";
    } catch (IOException | InterruptedException e) {
      return python
          + " could not be started ("
          + e.getMessage()
          + "), so the PyTorch side is not measured and only lorakit's figure is printed.";
    }
  }

  private static String[] runTorch(String python, TrainStep.Options o)
      throws IOException, InterruptedException {
    DecoderConfig c = o.setup().config();
    ProcessBuilder pb = new ProcessBuilder(python, "-");
    for (int v :
        new int[] {
          c.hidden(),
          c.intermediate(),
          c.layers(),
          c.heads(),
          c.vocab(),
          o.setup().rank(),
          o.setup().batch(),
          o.setup().seq(),
          o.threads(),
          o.warmup(),
          o.steps()
        }) {
      pb.command().add(String.valueOf(v));
    }
    for (String v : List.of("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")) {
      pb.environment().put(v, String.valueOf(o.threads()));
    }
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(GemmVsNumpy.resource("train_step_torch.py").getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String[] last = out.substring(out.lastIndexOf('\n') + 1).split("\\s+");
    if (p.waitFor() != 0 || last.length != 3) {
      throw new IOException(
          "The transformers + PEFT step failed (exit " + p.exitValue() + "): " + out);
    }
    return last;
  }
}
