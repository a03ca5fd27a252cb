package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.TimedBackend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.TrainingMemory;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.cuda.CudaBackendProvider;
import dev.lorakit.cuda.TrainBench;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit-dev bench-train}: LoRA training throughput of a 7B shape with random weights on
 * one GPU, printed as one {@code BENCH {json}} line with the fields of the PEFT baseline script, so
 * that the two compare row by row. {@code --dry-run} prints the plan (parameters, FLOPs per token,
 * expected memory) and needs no GPU; {@code --profile} adds the table of GPU time per op.
 */
@Command(
    name = "bench-train",
    mixinStandardHelpOptions = true,
    description = {
      "Measures LoRA training of a LLaMA-2-7B or Mistral-7B shape with random bf16 weights generated on the GPU:"
          + " tokens/s, step time, peak GPU memory and MFU, as one BENCH {json} line.",
      "--dry-run prints the plan (parameter counts, FLOPs per token, expected memory) without a GPU."
    })
final class BenchTrainCommand implements Callable<Integer> {

  /** The PEFT baseline's targets. */
  static final List<String> ALL =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  @Option(
      names = "--shape",
      paramLabel = "S",
      defaultValue = "llama2-7b",
      description =
          "llama2-7b (default), mistral-7b, or tiny (2 layers of width 64, to check the command itself).")
  String shape;

  @Option(
      names = "--targets",
      paramLabel = "T",
      defaultValue = "all",
      description = "qv (q_proj, v_proj) or all (the seven projections, default).")
  String targets;

  @Option(
      names = "--lora-r",
      paramLabel = "R",
      defaultValue = "16",
      description = "LoRA rank (alpha = 2r, dropout 0.05), default 16.")
  int rank;

  @Option(
      names = "--batch",
      paramLabel = "B",
      defaultValue = "4",
      description = "Sequences per step, default 4.")
  int batch;

  @Option(
      names = "--seq",
      paramLabel = "N",
      defaultValue = "512",
      description = "Tokens per sequence, default 512.")
  int seq;

  @Option(
      names = "--activation-checkpointing",
      description = "Recompute each layer in the backward.")
  boolean checkpointing;

  @Option(
      names = "--steps",
      paramLabel = "N",
      defaultValue = "8",
      description = "Timed steps, default 8.")
  int steps;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "3",
      description = "Untimed steps first, default 3.")
  int warmup;

  @Option(
      names = "--loss-chunk",
      paramLabel = "ROWS",
      defaultValue = "512",
      description =
          "Positions per block of the output projection and loss, default 512 (0: all at once).")
  int lossChunk;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description = "Seed of the weights and tokens.")
  long seed;

  @Option(
      names = "--precision",
      paramLabel = "P",
      defaultValue = "bf16",
      description =
          "bf16 (default: bf16 activations, fp32 accumulation) or fp32 activations; weights are bf16.")
  String precision;

  @Option(names = "--dry-run", description = "Print the plan only; needs no GPU.")
  boolean dryRun;

  @Option(
      names = "--profile",
      description =
          "Also time every op of the timed steps between CUDA events and print"
              + " a table: calls, GPU time, share of the step, GFLOP/s of the matmuls.")
  boolean profile;

  @Spec CommandSpec spec;

  /** The decoder shape of a benchmark name. */
  static DecoderConfig shape(String name) {
    return switch (name) {
      case "llama2-7b" ->
          new DecoderConfig(32000, 4096, 11008, 32, 32, 32, 128, 10000, 1e-5, 0, false, 4096);
      case "mistral-7b" ->
          new DecoderConfig(32000, 4096, 14336, 32, 32, 8, 128, 10000, 1e-5, 4096, false, 32768);
      case "tiny" -> new DecoderConfig(256, 64, 128, 2, 4, 2, 16, 10000, 1e-5, 0, false, 256);
      default ->
          throw new LorakitInputException(
              "--shape " + name + " is not known; use llama2-7b, mistral-7b or" + " tiny.");
    };
  }

  static List<String> targets(String name) {
    return switch (name) {
      case "qv" -> List.of("q_proj", "v_proj");
      case "all" -> ALL;
      default ->
          throw new LorakitInputException("--targets " + name + " is not known; use qv or all.");
    };
  }

  @Override
  public Integer call() {
    DecoderConfig config = shape(shape);
    List<String> names = targets(targets);
    if (rank < 1 || batch < 1 || seq < 2 || steps < 1 || warmup < 0 || lossChunk < 0) {
      throw new LorakitInputException(
          "--lora-r, --batch and --steps must be at least 1, --seq at least 2, and"
              + " --warmup and --loss-chunk at least 0.");
    }
    if (seq > config.maxPositions()) {
      throw new LorakitInputException(
          "--seq "
              + seq
              + " is longer than "
              + shape
              + "'s "
              + config.maxPositions()
              + " positions.");
    }
    LoraSpec lora =
        LoraSpec.of(LoraConfig.of(rank, 2.0 * rank, 0.05, new TargetModules.Names(names)), config);
    long params = TrainingMemory.parameters(config);
    long flopsPerToken = (checkpointing ? 6 : 4) * params;
    Precision p =
        switch (precision) {
          case "bf16" -> Precision.BF16;
          case "fp32" -> Precision.FP32;
          default ->
              throw new LorakitInputException(
                  "--precision " + precision + " is not known; use bf16 or fp32.");
        };
    TrainingMemory plan = TrainBench.plan(config, lora, batch, seq, checkpointing, lossChunk, p);
    PrintWriter out = spec.commandLine().getOut();
    ObjectMapper json = new ObjectMapper();
    ObjectNode row = json.createObjectNode();
    row.put("impl", "lorakit")
        .put("model", shape)
        .put("targets", String.join(",", names))
        .put("r", rank)
        .put("bs", batch)
        .put("seq", seq)
        .put("ckpt", checkpointing)
        .put("params", params)
        .put("trainable", lora.parameterCount())
        .put("precision", precision);
    if (dryRun) {
      out.printf(
          Locale.ROOT,
          "shape            %s: hidden %d, intermediate %d, %d layers, %d/%d heads, window %d%n",
          shape,
          config.hidden(),
          config.intermediate(),
          config.layers(),
          config.heads(),
          config.kvHeads(),
          config.slidingWindow());
      out.printf(Locale.ROOT, "parameters       %,d (embeddings and lm_head included)%n", params);
      out.printf(
          Locale.ROOT,
          "LoRA parameters  %,d (r %d on %s)%n",
          lora.parameterCount(),
          rank,
          String.join(", ", names));
      out.printf(
          Locale.ROOT,
          "FLOPs per token  %,d (%dN: forward 2N + input-gradient backward 2N%s; attention not counted)%n",
          flopsPerToken,
          checkpointing ? 6 : 4,
          checkpointing ? " + recompute 2N" : "");
      out.printf(
          Locale.ROOT,
          "expected memory  %.1f GiB = weights %.1f (bf16) + LoRA with AdamW %.2f + activations %.1f"
              + " (%s) + scratch %.1f (loss blocks of %d rows: %.2f) + largest op workspace %.2f%n",
          gib(plan.total()),
          gib(plan.weights()),
          gib(plan.lora()),
          gib(plan.activations()),
          precision,
          gib(plan.scratch()),
          lossChunk,
          gib(plan.logits()),
          gib(plan.workspace()));
      row.put("flops_per_token", flopsPerToken).put("expected_gib", round1(gib(plan.total())));
      out.println("PLAN " + row);
      return 0;
    }
    CudaBackendProvider.Availability gpu = new CudaBackendProvider().availability();
    if (!gpu.available()) {
      throw new LorakitInputException(
          "bench-train needs an NVIDIA GPU ("
              + gpu.reason()
              + "); --dry-run prints the plan without one.");
    }
    // The peak GEMM of the 7B shapes is PEFT's 8192^3; a small shape gets a small one (a simulator
    // runs it too).
    int gemmSize = config.hidden() >= 4096 ? 8192 : 256;
    TrainBench.Result r =
        TrainBench.run(
            config,
            lora,
            batch,
            seq,
            checkpointing,
            steps,
            warmup,
            seed,
            lossChunk,
            p,
            gemmSize,
            profile);
    double modelTflops = flopsPerToken * r.tokensPerSecond() / 1e12;
    row.put("step_s", Math.round(r.stepSeconds() * 1e4) / 1e4)
        .put("tokens_per_s", Math.round(r.tokensPerSecond()))
        .put("peak_gib", round1(gib(r.peakBytes())))
        .put("device_used_gib", round1(gib(r.deviceUsedBytes())))
        .put("expected_gib", round1(gib(plan.total())))
        .put("model_tflops", round1(modelTflops))
        .put("gemm_bf16_" + gemmSize + "_tflops", round1(r.gemmTflops()))
        .put("mfu", Math.round(modelTflops / r.gemmTflops() * 1e3) / 1e3)
        .put("first_loss", Math.round(r.firstLoss() * 1e4) / 1e4)
        .put("device", r.device());
    out.println("BENCH " + row);
    if (profile) {
      out.printf(
          Locale.ROOT,
          "%nGPU time per op over %d timed steps (mean step %.2f ms):%n%n",
          steps,
          r.stepSeconds() * 1e3);
      out.print(TimedBackend.table(r.ops(), steps, r.stepSeconds(), true));
    }
    return 0;
  }

  private static double gib(long bytes) {
    return bytes / (double) (1L << 30);
  }

  private static double round1(double x) {
    return Math.round(x * 10) / 10.0;
  }
}
