package dev.lorakit.bench;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.KvCache;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.Example;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A Hugging Face model folder on the CPU backend: how much memory it takes and how fast it
 * generates and trains. Prints the resident set (from {@code /proc/self/status}: all of it, the
 * part that is mapped files, and the peak) and the used heap after opening the model, greedy
 * generation's tokens/s with a KV cache (a prompt of random token ids, then one token per step),
 * and tokens/s of LoRA training steps (r 8 on all seven projections, AdamW).
 *
 * <pre>
 * ModelOnCpu --model DIR [--precision bf16|fp32] [--threads N] [--prompt N] [--tokens N]
 *            [--train-batch B] [--train-seq S] [--train-steps N (0: no training)]
 * </pre>
 */
public final class ModelOnCpu {

  private ModelOnCpu() {}

  public static void main(String[] args) throws Exception {
    Path model = null;
    Precision precision = Precision.BF16;
    int threads = Runtime.getRuntime().availableProcessors();
    int prompt = 16;
    int tokens = 8;
    int batch = 1;
    int seq = 64;
    int trainSteps = 2;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("The option " + args[i] + " needs a value.");
      }
      String v = args[i + 1];
      switch (args[i]) {
        case "--model" -> model = Path.of(v);
        case "--precision" -> precision = Precision.parse(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--prompt" -> prompt = Integer.parseInt(v);
        case "--tokens" -> tokens = Integer.parseInt(v);
        case "--train-batch" -> batch = Integer.parseInt(v);
        case "--train-seq" -> seq = Integer.parseInt(v);
        case "--train-steps" -> trainSteps = Integer.parseInt(v);
        default ->
            throw new IllegalArgumentException(
                "Unknown option "
                    + args[i]
                    + "; expected --model, "
                    + "--precision, --threads, --prompt, --tokens, --train-batch, --train-seq or --train-steps.");
      }
    }
    if (model == null) {
      throw new IllegalArgumentException("--model DIR is required: a Hugging Face model folder.");
    }
    System.out.println(Environment.describe(threads));
    long t0 = System.nanoTime();
    try (CpuBackend backend = new CpuBackend(threads);
        ModelFolder folder = ModelFolder.open(model)) {
      DecoderConfig c = folder.decoderConfig();
      DecoderWeights weights = folder.decoderWeights(backend, precision);
      System.out.printf(
          Locale.ROOT,
          "Model %s: hidden %d, MLP %d, %d layers, %d/%d heads, vocab %d; precision %s;"
              + " opened in %.1f s%n",
          model,
          c.hidden(),
          c.intermediate(),
          c.layers(),
          c.heads(),
          c.kvHeads(),
          c.vocab(),
          precision.label(),
          (System.nanoTime() - t0) * 1e-9);
      memory("after opening");
      try (Decoder decoder = new Decoder(c, weights, backend, precision)) {
        generate(decoder, prompt, tokens);
        memory("after generating");
        if (trainSteps > 0) {
          train(decoder, backend, batch, seq, trainSteps);
          memory("after training");
        }
      } finally {
        weights.close();
      }
    }
  }

  private static void generate(Decoder d, int prompt, int tokens) {
    Backend backend = d.backend();
    int vocab = d.config().vocab();
    Random rnd = new Random(1);
    int[] ids = new int[prompt];
    for (int i = 0; i < prompt; i++) {
      ids[i] = rnd.nextInt(vocab);
    }
    try (KvCache cache = new KvCache(d.config(), backend, 1, prompt + tokens, d.activations())) {
      long t0 = System.nanoTime();
      int next = argmax(backend.download(d.forwardCachedLast(ids, 1, cache)));
      double promptSeconds = (System.nanoTime() - t0) * 1e-9;
      System.out.printf(
          Locale.ROOT,
          "prompt of %d tokens: %.2f s (%.2f tokens/s)%n",
          prompt,
          promptSeconds,
          prompt / promptSeconds);
      double[] step = new double[tokens - 1];
      double cpu0 = TrainStep.cpuSeconds();
      for (int t = 0; t < tokens - 1; t++) {
        long s = System.nanoTime();
        next = argmax(backend.download(d.forwardCachedLast(new int[] {next}, 1, cache)));
        step[t] = (System.nanoTime() - s) * 1e-9;
        System.out.printf(Locale.ROOT, "  token %d: %.3f s%n", t + 2, step[t]);
      }
      double cpu = TrainStep.cpuSeconds() - cpu0;
      double total = Arrays.stream(step).sum();
      Arrays.sort(step);
      System.out.printf(
          Locale.ROOT,
          "generation: %d tokens after the first in %.2f s: %.2f tokens/s (median "
              + "token %.3f s); %.2f CPU seconds per token (all threads of the process)%n",
          step.length,
          total,
          step.length / total,
          step[step.length / 2],
          cpu / step.length);
    }
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static void train(Decoder d, Backend backend, int batch, int seq, int steps) {
    DecoderConfig c = d.config();
    LoraSpec spec = LoraSpec.of(LoraConfig.of(8, 16, 0.0, new TargetModules.AllLinear()), c);
    List<Example> data = LibraryStep.randomBatch(new Random(2), batch, seq, c.vocab());
    try (LoraWeights lora = LoraWeights.init(spec, backend, 3);
        AdamW adamW = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
      LibraryStep step = new LibraryStep(d, lora, adamW, data, 2);
      for (int s = 0; s <= steps; s++) {
        long t0 = System.nanoTime();
        double cpu0 = TrainStep.cpuSeconds();
        double loss = step.step();
        double seconds = (System.nanoTime() - t0) * 1e-9;
        System.out.printf(
            Locale.ROOT,
            "%s LoRA step (r 8, all projections, %d x %d tokens): loss %.4f, %.2f s,"
                + " %.1f tokens/s; %.1f CPU seconds%n",
            s == 0 ? "warm-up" : "timed",
            batch,
            seq,
            loss,
            seconds,
            batch * seq / seconds,
            TrainStep.cpuSeconds() - cpu0);
      }
      d.setLora(null);
    }
  }

  /** The resident set (all, mapped files, anonymous, peak) and the used heap. */
  private static void memory(String when) throws IOException {
    long rss = 0;
    long file = 0;
    long anon = 0;
    long peak = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      String[] f = line.split("\\s+");
      switch (f[0]) {
        case "VmRSS:" -> rss = Long.parseLong(f[1]);
        case "RssFile:" -> file = Long.parseLong(f[1]);
        case "RssAnon:" -> anon = Long.parseLong(f[1]);
        case "VmHWM:" -> peak = Long.parseLong(f[1]);
        default -> {}
      }
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        Locale.ROOT,
        "memory %s: resident %.2f GiB (mapped files %.2f, anonymous %.2f), peak resident"
            + " %.2f GiB; heap used %.2f GiB of max %.2f%n",
        when,
        gib(rss),
        gib(file),
        gib(anon),
        gib(peak),
        (rt.totalMemory() - rt.freeMemory()) / (double) (1L << 30),
        rt.maxMemory() / (double) (1L << 30));
  }

  private static double gib(long kib) {
    return kib / (double) (1L << 20);
  }
}
