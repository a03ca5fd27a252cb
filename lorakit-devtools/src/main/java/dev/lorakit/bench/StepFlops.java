package dev.lorakit.bench;

import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.TrainingMemory;

/**
 * The floating-point operations of one LoRA training step, counted from the shapes (a multiply-add
 * is 2):
 *
 * <ul>
 *   <li>base linears, forward: {@code 2 T in out} for q, k, v, o, gate, up, down in every layer
 *       ({@code T} = tokens in the step), and {@code 2 L hidden vocab} for the lm_head, which the
 *       library's training step runs on the positions that have a label only ({@code T - batch}:
 *       the last token of a sequence predicts nothing), in one loss block rounded up to 64 rows
 *       ({@link TrainingMemory#lossBlockRows}): {@code L} rows;
 *   <li>base linears, backward: the same again for {@code dX = dY W} only: the frozen weights get
 *       no gradient;
 *   <li>LoRA, forward: {@code 2 T r (in + out)} per wrapped projection ({@code x A^T}, then {@code
 *       (xA) B^T}); backward: twice that ({@code dB}, {@code dY B}, {@code dA}, {@code dX += (dY B)
 *       A});
 *   <li>attention, forward: {@code Q K^T} and {@code P V} over the causal half, {@code 2 B H d S
 *       (S+1)} in all; backward 2.5 times that (scores recomputed, then {@code dP}, {@code dV},
 *       {@code dQ}, {@code dK}).
 * </ul>
 *
 * Norms, RoPE, SwiGLU, softmax, cross-entropy and AdamW are left out: they are a few operations per
 * element, not per multiply-add.
 *
 * @param baseForward base linears and lm_head, forward
 * @param baseBackward base linears and lm_head, {@code dX} only
 * @param loraForward the LoRA paths, forward
 * @param loraBackward the LoRA paths, backward
 * @param attnForward attention scores and mixing, forward
 * @param attnBackward attention, backward
 */
public record StepFlops(
    double baseForward,
    double baseBackward,
    double loraForward,
    double loraBackward,
    double attnForward,
    double attnBackward) {

  public static StepFlops of(DemoModel.Setup s) {
    DecoderConfig c = s.config();
    double t = s.tokens();
    double base = 0;
    double lora = 0;
    for (LoraTarget target : LoraTarget.values()) {
      double in = target.in(c);
      double out = target.out(c);
      base += 2 * t * in * out;
      lora += 2 * t * s.rank() * (in + out);
    }
    base *= c.layers();
    lora *= c.layers();
    double lossRows = TrainingMemory.lossBlockRows(s.tokens() - s.batch(), 0).getFirst();
    base += 2 * lossRows * c.hidden() * (double) c.vocab();
    double attn =
        2.0 * s.batch() * c.heads() * c.headDim() * (double) s.seq() * (s.seq() + 1) * c.layers();
    return new StepFlops(base, base, lora, 2 * lora, attn, 2.5 * attn);
  }

  /** Everything counted. */
  public double total() {
    return baseForward + baseBackward + loraForward + loraBackward + attnForward + attnBackward;
  }

  /** What goes through {@code Backend.matmul}: the linears, base and LoRA. */
  public double matmul() {
    return baseForward + baseBackward + loraForward + loraBackward;
  }
}
