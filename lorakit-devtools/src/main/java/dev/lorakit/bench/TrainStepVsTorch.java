package dev.lorakit.bench;

import dev.lorakit.core.nn.DecoderConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The train-step benchmark beside the same step on CPU torch (the external yardstick, {@code
 * train_step_torch.py}), in one run with the same thread count, and the ratio of their tokens/s.
 * The torch side is Hugging Face transformers + PEFT where both are installed, transformers with
 * PEFT's LoRA layer written out where only transformers is, otherwise a plain-PyTorch copy of the
 * same model; the output names which ran. Without python3 or torch it says so in one sentence and
 * prints lorakit's figure alone.
 *
 * <pre>
 * TrainStepVsTorch [TrainStep's options] [--python PATH]
 * </pre>
 *
 * Without {@code --python} the first of {@code python3} and {@code /usr/bin/python3} that imports
 * torch runs it (on Debian, apt's {@code python3-torch} is the system Python's, which a python3
 * earlier on the PATH, such as pyenv's, does not see).
 */
public final class TrainStepVsTorch {

  private static final List<String> DEFAULT_PYTHONS = List.of("python3", "/usr/bin/python3");

  /**
   * What the torch side measured: the median and best step, the median CPU time of a step (all the
   * process's threads) and the name of what ran.
   */
  record Reference(double medianSeconds, double bestSeconds, double cpuSeconds, String name) {}

  private TrainStepVsTorch() {}

  public static void main(String[] args) throws Exception {
    List<String> pythons = DEFAULT_PYTHONS;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--python")) {
        pythons = List.of(args[i + 1]);
      }
    }
    TrainStep.Options o = TrainStep.Options.parse(args, List.of("--python"));
    List<String> problems = new ArrayList<>();
    String python = null;
    for (String candidate : pythons) {
      String problem = torchProblem(candidate);
      if (problem == null) {
        python = candidate;
        break;
      }
      problems.add(problem);
    }
    Double torch = null;
    String reference = null;
    if (python != null) {
      Reference r = runTorch(python, o);
      torch = o.setup().tokens() / r.medianSeconds();
      reference = r.name();
      System.out.printf(
          Locale.ROOT,
          "%s (%s), %d threads: %.0f tokens/s (median step %.3f s, best %.3f s); "
              + "CPU time per step (all threads of the process): median %.3f s, "
              + "%.0f tokens per CPU second%n%n",
          reference,
          python,
          o.threads(),
          torch,
          r.medianSeconds(),
          r.bestSeconds(),
          r.cpuSeconds(),
          o.setup().tokens() / r.cpuSeconds());
    }
    double ours = TrainStep.run(o.setup(), o.threads(), o.warmup(), o.steps());
    System.out.println();
    System.out.println(summary(ours, torch, reference, python == null ? missing(problems) : null));
  }

  /** The closing lines: both figures and their ratio, or lorakit's alone and why. */
  static String summary(double lorakit, Double torch, String reference, String missing) {
    if (torch == null) {
      return missing + String.format(Locale.ROOT, "%nlorakit: %.0f tokens/s.", lorakit);
    }
    return String.format(
        Locale.ROOT,
        "lorakit %.0f tokens/s, %s %.0f tokens/s: ratio %.2f",
        lorakit,
        reference,
        torch,
        lorakit / torch);
  }

  /** The one sentence saying why the torch side is not measured, from each python's problem. */
  static String missing(List<String> problems) {
    return String.join("; ", problems)
        + ", so the PyTorch side is not measured and only lorakit's figure is printed.";
  }

  /** Null when {@code python} imports torch; otherwise what is wrong, as part of a sentence. */
  static String torchProblem(String python) {
    try {
      Process p =
          new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
      String err = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroy();
        return python + " did not import torch within 120 s";
      }
      return p.exitValue() == 0 ? null : importProblem(python, err);
    } catch (IOException | InterruptedException e) {
      return python + " could not be started (" + e.getMessage() + ")";
    }
  }

  /** What a failed {@code import torch} printed, said in a few words. */
  static String importProblem(String python, String err) {
    String module = err.replaceAll("(?s).*No module named '([^']+)'.*", "$1");
    if (!module.equals(err)) {
      return module + " is not installed for " + python;
    }
    String[] lines = err.strip().split("\n");
    return "torch does not import for " + python + " (" + lines[lines.length - 1].strip() + ")";
  }

  /**
   * Reads the last line the script prints, {@code median_seconds best_seconds
   * name_with_underscores} (anything printed before it is ignored).
   */
  static Reference parseReference(String out) {
    String trimmed = out.strip();
    String[] last = trimmed.substring(trimmed.lastIndexOf('\n') + 1).strip().split("\\s+");
    String bad = "The torch step printed no line of median, best, CPU time and name: " + trimmed;
    if (last.length != 4) {
      throw new IllegalArgumentException(bad);
    }
    try {
      return new Reference(
          Double.parseDouble(last[0]),
          Double.parseDouble(last[1]),
          Double.parseDouble(last[2]),
          last[3].replace('_', ' '));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(bad, e);
    }
  }

  private static Reference runTorch(String python, TrainStep.Options o)
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
    Environment.forReference(pb.environment(), o.threads());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(GemmVsNumpy.resource("train_step_torch.py").getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("The torch step failed (exit " + p.exitValue() + "): " + out.strip());
    }
    return parseReference(out);
  }
}
