package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.testkit.RandomModel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A bf16 training step (bf16 activations, f32 gradients) takes the fused flash-attention backward,
 * and so never holds a [seq, seq] matrix. Needs a GPU (or the CUDA simulator); skipped visibly
 * without.
 */
class Bf16FlashBackwardTest {

  @Test
  void aBf16TrainingStepLaunchesTheFlashBackwardAndAllocatesNoSeqBySeqMatrix() {
    Gpu.assumeAvailable("the bf16 flash-backward test");
    int n = 256;
    int layers = 2;
    // Small widths and vocabulary, so that one head's n x n f32 matrix (256 KiB) is larger than any
    // buffer the
    // step needs for anything else.
    DecoderConfig config =
        new DecoderConfig(64, 32, 48, layers, 2, 1, 16, 10000, 1e-5, 0, false, 2 * n);
    LoraSpec spec =
        LoraSpec.of(
            LoraConfig.of(
                4,
                8,
                0,
                new TargetModules.Names(
                    List.of(
                        "q_proj",
                        "k_proj",
                        "v_proj",
                        "o_proj",
                        "gate_proj",
                        "up_proj",
                        "down_proj"))),
            config);
    Random rnd = new Random(3);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rnd.nextInt(config.vocab());
    }
    int[] targets = CausalLmLoss.targets(ids, 1);
    int counted = CausalLmLoss.counted(targets);
    try (CudaBackend gpu = new CudaBackend()) {
      DecoderWeights weights = RandomModel.scaledWeights(config, gpu, 5, DType.BF16);
      try (LoraWeights lora = LoraWeights.init(spec, gpu, 6);
          Decoder d = new Decoder(config, weights, gpu, Precision.BF16)) {
        d.setLora(lora);
        d.setTraining(true);
        lora.zeroGrad();
        gpu.synchronize();
        gpu.allocator().resetPeak();
        Map<String, Long> before = gpu.kernels().launchCounts();
        Activations a = d.forwardForLoss(ids, 1);
        double loss = d.backward(a, targets, 1f / counted) / counted;
        Map<String, Long> launched = new HashMap<>(gpu.kernels().launchCounts());
        before.forEach((k, v) -> launched.merge(k, -v, Long::sum));
        launched.values().removeIf(v -> v == 0);

        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        assertEquals(
            layers, launched.getOrDefault("flash_attn_bwd_dkdv_bf16_d64", 0L), launched.toString());
        assertEquals(
            layers, launched.getOrDefault("flash_attn_bwd_dq_bf16_d64", 0L), launched.toString());
        for (String gemmPath : List.of("attn_probs_from_lse", "attn_softmax", "attn_dscores")) {
          assertEquals(0L, launched.getOrDefault(gemmPath, 0L), gemmPath + " ran: " + launched);
        }
        long seqBySeq = 4L * n * n;
        assertTrue(
            gpu.allocator().largestRequest() < seqBySeq,
            "a "
                + gpu.allocator().largestRequest()
                + "-byte buffer was allocated; one head's n x n f32 matrix is "
                + seqBySeq);
        double gradSquares =
            gpu.sumOfSquares(lora.parameters().stream().map(Parameter::grad).toList());
        assertTrue(
            Double.isFinite(gradSquares) && gradSquares > 0, "LoRA gradients " + gradSquares);
        System.out.printf(
            "bf16 step: loss %.4f, largest buffer %d bytes (n x n would be %d), kernels %s%n",
            loss, gpu.allocator().largestRequest(), seqBySeq, launched);
      } finally {
        weights.close();
      }
    }
  }
}
