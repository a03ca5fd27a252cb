package dev.lorakit.bench;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.backend.TimedBackend;
import dev.lorakit.core.nn.DecoderConfig;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times LoRA training steps of the demo model on the CPU backend and prints tokens/s, the achieved
 * GFLOP/s (see {@link StepFlops} for what is counted), its share of the GEMM rate measured in the
 * same run, and where the step's time goes, op by op.
 *
 * <pre>
 * TrainStep [--threads N] [--steps N] [--warmup N] [--batch B] [--seq S] [--layers L] [--hidden H]
 *           [--intermediate I] [--heads H] [--vocab V] [--rank R]
 * </pre>
 */
public final class TrainStep {

  private TrainStep() {}

  /** What a run times: the model and step shape, the thread count, the warm-up and timed steps. */
  record Options(DemoModel.Setup setup, int threads, int warmup, int steps) {

    /**
     * Parses the options above; {@code extra} names further options the caller handles (skipped
     * here).
     */
    static Options parse(String[] args, List<String> extra) {
      int threads = Runtime.getRuntime().availableProcessors();
      int steps = 5;
      int warmup = 2;
      int[] shape = {
        256, 768, 4, 8, 32000, 8, 8, 256
      }; // hidden, intermediate, layers, heads, vocab, rank, batch, seq
      List<String> names =
          List.of(
              "--hidden",
              "--intermediate",
              "--layers",
              "--heads",
              "--vocab",
              "--rank",
              "--batch",
              "--seq");
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("The option " + a + " needs a value.");
        }
        if (extra.contains(a)) {
          i++;
          continue;
        }
        int at = names.indexOf(a);
        if (at < 0 && !List.of("--threads", "--steps", "--warmup").contains(a)) {
          throw new IllegalArgumentException(
              "Unknown option "
                  + a
                  + "; expected --threads, --steps, "
                  + "--warmup or one of "
                  + names
                  + (extra.isEmpty() ? "" : " or " + extra)
                  + ".");
        }
        int v = Integer.parseInt(args[++i]);
        switch (a) {
          case "--threads" -> threads = v;
          case "--steps" -> steps = v;
          case "--warmup" -> warmup = v;
          default -> shape[at] = v;
        }
      }
      return new Options(
          DemoModel.Setup.of(
              shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], shape[7]),
          threads,
          warmup,
          steps);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args, List.of());
    run(o.setup(), o.threads(), o.warmup(), o.steps());
  }

  /** Runs and prints the steps; returns the tokens/s of the median step. */
  static double run(DemoModel.Setup setup, int threads, int warmup, int steps) throws Exception {
    DecoderConfig c = setup.config();
    System.out.println(Environment.describe(threads));
    System.out.printf(
        Locale.ROOT,
        "Model: hidden %d, intermediate %d, %d layers, %d heads, vocab %d; LoRA r %d on "
            + "all linear layers; %d sequences x %d tokens = %d tokens per step%n",
        c.hidden(),
        c.intermediate(),
        c.layers(),
        c.heads(),
        c.vocab(),
        setup.rank(),
        setup.batch(),
        setup.seq(),
        setup.tokens());
    StepFlops flops = StepFlops.of(setup);
    double[] seconds = new double[steps];
    double[] cpu = new double[steps];
    TimedBackend backend = new TimedBackend(new CpuBackend(threads));
    try (backend;
        DemoModel model = new DemoModel(setup, backend, 42)) {
      for (int s = 0; s < warmup; s++) {
        long t0 = System.nanoTime();
        double loss = model.step();
        System.out.printf(
            Locale.ROOT,
            "warm-up step %d: loss %.4f, %.3f s%n",
            s + 1,
            loss,
            (System.nanoTime() - t0) * 1e-9);
      }
      backend.reset();
      for (int s = 0; s < steps; s++) {
        long t0 = System.nanoTime();
        double c0 = cpuSeconds();
        double loss = model.step();
        seconds[s] = (System.nanoTime() - t0) * 1e-9;
        cpu[s] = cpuSeconds() - c0;
        System.out.printf(
            Locale.ROOT,
            "step %d: loss %.4f, %.3f s (%.3f CPU s)%n",
            s + 1,
            loss,
            seconds[s],
            cpu[s]);
      }
    }
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    double median =
        steps % 2 == 1 ? sorted[steps / 2] : (sorted[steps / 2 - 1] + sorted[steps / 2]) / 2;
    double achieved = flops.total() / median / 1e9;
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "tokens/s: %.0f (median step %.3f s, best %.3f s, %d steps)%n",
        setup.tokens() / median,
        median,
        sorted[0],
        steps);
    double[] cpuSorted = cpu.clone();
    Arrays.sort(cpuSorted);
    System.out.printf(
        Locale.ROOT,
        "CPU time per step (all threads of the process): median %.3f s, best %.3f s; "
            + "%.0f tokens per CPU second%n",
        cpuSorted[steps / 2],
        cpuSorted[0],
        setup.tokens() / cpuSorted[steps / 2]);
    System.out.printf(
        Locale.ROOT,
        "model FLOPs per step: %.1f GFLOP (linears fwd %.1f + dX %.1f, LoRA %.2f + %.2f, "
            + "attention %.2f + %.2f)%n",
        flops.total() / 1e9,
        flops.baseForward() / 1e9,
        flops.baseBackward() / 1e9,
        flops.loraForward() / 1e9,
        flops.loraBackward() / 1e9,
        flops.attnForward() / 1e9,
        flops.attnBackward() / 1e9);
    System.out.printf(Locale.ROOT, "achieved: %.1f GFLOP/s%n", achieved);
    try (CpuBackend ref = new CpuBackend(threads)) {
      for (String name : List.of("lm-head", "sq1024-ABT")) {
        GemmShape g = GemmShape.named(name);
        GemmShape.Operands ops = g.operands(ref, 1);
        Timing t = Timing.of(() -> ops.multiply(ref), 1, 2, 5, 1000);
        double rate = g.flops() / t.median() / 1e9;
        System.out.printf(
            Locale.ROOT,
            "GEMM %s (%s %s), same run: %.1f GFLOP/s; the step reaches %.0f%% of it%n",
            name,
            g.dims(),
            g.layout().symbol,
            rate,
            100 * achieved / rate);
      }
    }
    System.out.println();
    double mean = Arrays.stream(seconds).sum() / steps;
    System.out.printf(Locale.ROOT, "Time per op (mean step %.3f s):%n%n", mean);
    System.out.println(TimedBackend.table(backend.tallies(), steps, mean, true));
    System.out.println("Matmul by product (m x n x k, layout):");
    System.out.println();
    System.out.println(TimedBackend.table(backend.products(), steps, mean, false));
    return setup.tokens() / median;
  }

  /**
   * CPU time of the whole process so far. On a machine shared with other work the wall time of a
   * step says how much of the cores the process got as much as how fast it is; its CPU time says
   * the second (what the two threads computed, plus what waiting for each other cost).
   */
  static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        * 1e-9;
  }
}
