package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.TimedBackend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.tensor.Precision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * bench-train's measurement at a tiny shape: the per-op GPU profile; needs a GPU or the simulator.
 */
class TrainBenchTest {

  static final DecoderConfig TINY =
      new DecoderConfig(256, 64, 128, 2, 4, 2, 16, 10000, 1e-5, 0, false, 256);
  static final List<String> ALL =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  static LoraSpec spec(DecoderConfig c) {
    return LoraSpec.of(LoraConfig.of(4, 8, 0.05, new TargetModules.Names(ALL)), c);
  }

  @Test
  void theProfileCountsEveryOpOfTheTimedStepsAndCoversTheStep() {
    Gpu.assumeAvailable("the bench-train profile test");
    int steps = 2;
    int layers = TINY.layers();
    for (boolean checkpointing : new boolean[] {false, true}) {
      TrainBench.Result r =
          TrainBench.run(
              TINY, spec(TINY), 2, 16, checkpointing, steps, 1, 3, 0, Precision.FP32, 64, true);
      Map<String, TimedBackend.Tally> ops = r.ops();
      System.out.println(
          "checkpointing "
              + checkpointing
              + ", mean step "
              + r.stepSeconds() * 1e3
              + " ms\n"
              + TimedBackend.table(ops, steps, r.stepSeconds(), true));
      int recompute = checkpointing ? 2 : 1;
      // One call per layer's forward (twice with checkpointing: the recompute), per backward, per
      // parameter.
      assertEquals(steps * layers * recompute, ops.get("attention").calls(), "attention");
      assertEquals(steps * layers, ops.get("attentionBackward").calls(), "attentionBackward");
      assertEquals(steps * (2 * layers * recompute + 1), ops.get("rmsNorm").calls(), "rmsNorm");
      assertEquals(steps * (2 * layers + 1), ops.get("rmsNormBackward").calls(), "rmsNormBackward");
      assertEquals(steps * layers * recompute, ops.get("swiglu").calls(), "swiglu");
      assertEquals(steps * layers, ops.get("swigluBackward").calls(), "swigluBackward");
      assertEquals(
          steps * 2, ops.get("embedding").calls(), "the tokens' rows, and the loss block's rows");
      assertEquals(steps, ops.get("crossEntropy").calls(), "one loss block per step");
      assertEquals(
          steps * 2 * ALL.size() * layers, ops.get("adamW").calls(), "one AdamW per LoRA matrix");
      assertTrue(ops.get("matmul").flops() > 0 && ops.get("matmul").calls() % steps == 0, "matmul");
      double opSeconds = ops.values().stream().mapToDouble(TimedBackend.Tally::seconds).sum();
      double share = opSeconds / (steps * r.stepSeconds());
      // The ops run on the stream one after another inside the step: their times cannot exceed it,
      // and the
      // host's work between them (Java, launches) is a small part of it.
      assertTrue(share > 0.5 && share <= 1.001, "the ops cover " + share + " of the step");
    }
  }

  @ParameterizedTest(name = "{0}, checkpointing {1}")
  @CsvSource({"FP32, false", "FP32, true", "BF16, false", "BF16, true"})
  void thePlanPredictsTheMeasuredPeakAtTwoShapes(Precision precision, boolean checkpointing) {
    Gpu.assumeAvailable("the bench-train memory plan test");
    // Two shapes whose activations outweigh the weights, every buffer under the allocator's 1 MiB
    // fine grain.
    DecoderConfig wider = new DecoderConfig(384, 96, 256, 3, 6, 3, 16, 10000, 1e-5, 0, false, 256);
    record Run(DecoderConfig config, int batch, int seq, int lossChunk) {}
    for (Run r : List.of(new Run(TINY, 4, 64, 64), new Run(wider, 2, 48, 32))) {
      LoraSpec spec = spec(r.config());
      // No warm-up: the first step allocates every buffer and takes every op's workspace, as a
      // later step does.
      TrainBench.Result measured =
          TrainBench.run(
              r.config(),
              spec,
              r.batch(),
              r.seq(),
              checkpointing,
              1,
              0,
              3,
              r.lossChunk(),
              precision,
              64,
              false);
      long plan =
          TrainBench.plan(
                  r.config(), spec, r.batch(), r.seq(), checkpointing, r.lossChunk(), precision)
              .total();
      double ratio = (double) plan / measured.peakBytes();
      System.out.printf(
          "%s, checkpointing %s, hidden %d, %d x %d: plan %d bytes, peak %d bytes, ratio %.4f%n",
          precision,
          checkpointing,
          r.config().hidden(),
          r.batch(),
          r.seq(),
          plan,
          measured.peakBytes(),
          ratio);
      assertTrue(
          Math.abs(ratio - 1) <= 0.10,
          "plan "
              + plan
              + " against the measured peak "
              + measured.peakBytes()
              + " (ratio "
              + ratio
              + ")");
    }
  }

  @Test
  void profilingLeavesTheStepUnchanged() {
    Gpu.assumeAvailable("the bench-train profile test");
    TrainBench.Result plain =
        TrainBench.run(TINY, spec(TINY), 2, 16, false, 1, 1, 5, 0, Precision.FP32, 64, false);
    TrainBench.Result timed =
        TrainBench.run(TINY, spec(TINY), 2, 16, false, 1, 1, 5, 0, Precision.FP32, 64, true);
    assertTrue(plain.ops().isEmpty(), "no profile unless asked");
    assertEquals(plain.firstLoss(), timed.firstLoss(), 0.0, "the same step, bit for bit");
    assertEquals(plain.peakBytes(), timed.peakBytes(), "the profile holds no device memory");
  }
}
