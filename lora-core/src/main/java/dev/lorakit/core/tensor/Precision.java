package dev.lorakit.core.tensor;

import dev.lorakit.core.LorakitInputException;
import java.util.Locale;

/**
 * The number formats a decoder computes in. The choice is made once, when the decoder is built: it
 * fixes the dtype of the frozen weight matrices and of the activations that feed the matrix
 * products. Whatever the precision, matrix products accumulate in float32, reductions (norms,
 * softmax, the loss) run in float32 or wider, and the LoRA matrices, their gradients and the
 * optimizer state stay float32.
 */
public enum Precision {
  /** Everything float32: what the CPU computes, and the GPU's reference mode. */
  FP32(DType.F32, DType.F32),
  /**
   * Frozen base matrices (projections, embeddings, output head) in bfloat16. On a GPU the
   * activations between the matrix products are bfloat16 too (the residual stream, norm weights,
   * logits and gradients float32); on the CPU they stay float32 and the bf16 weights, memory-mapped
   * from the checkpoint, are widened inside the products.
   */
  BF16(DType.BF16, DType.BF16);

  private final DType weights;
  private final DType activations;

  Precision(DType weights, DType activations) {
    this.weights = weights;
    this.activations = activations;
  }

  /** The dtype of the frozen weight matrices (the norm weights are always float32). */
  public DType weights() {
    return weights;
  }

  /**
   * The dtype of the activations saved between matrix products where the backend keeps them in this
   * precision (a GPU); see {@code Backend.activations}, which the decoder asks.
   */
  public DType activations() {
    return activations;
  }

  /** The name a user writes: {@code fp32} or {@code bf16}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The precision named {@code fp32} or {@code bf16} (any case).
   *
   * @throws LorakitInputException one sentence naming the value and the accepted ones
   */
  public static Precision parse(String name) {
    for (Precision p : values()) {
      if (p.label().equalsIgnoreCase(name.strip())) {
        return p;
      }
    }
    throw new LorakitInputException("The precision must be fp32 or bf16, not " + name + ".");
  }
}
