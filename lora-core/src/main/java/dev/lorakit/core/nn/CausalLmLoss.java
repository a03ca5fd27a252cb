package dev.lorakit.core.nn;

import dev.lorakit.core.backend.Backend;

/**
 * Hugging Face's causal-LM loss: the logits at position t predict {@code labels[t+1]}; labels equal
 * to {@link Backend#IGNORE_INDEX} (-100) are skipped; the loss is the mean over the kept tokens.
 */
public final class CausalLmLoss {

  private CausalLmLoss() {}

  /**
   * The per-position targets for {@code labels} ({@code batch} rows, batch-major): {@code
   * labels[t+1]} within each row, and {@link Backend#IGNORE_INDEX} at each row's last position.
   */
  public static int[] targets(int[] labels, int batch) {
    if (batch < 1 || labels.length % batch != 0) {
      throw new IllegalArgumentException(
          labels.length + " labels do not split into " + batch + " rows.");
    }
    int seq = labels.length / batch;
    int[] out = new int[labels.length];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < seq; t++) {
        out[b * seq + t] = t + 1 < seq ? labels[b * seq + t + 1] : Backend.IGNORE_INDEX;
      }
    }
    return out;
  }

  /** The number of targets that count (not {@link Backend#IGNORE_INDEX}). */
  public static int counted(int[] targets) {
    int n = 0;
    for (int t : targets) {
      n += t == Backend.IGNORE_INDEX ? 0 : 1;
    }
    return n;
  }

  /**
   * Forward and backward of the mean loss over {@code labels} on a decoder: returns the mean and
   * adds its gradient to the LoRA gradients. A batch with no counted label has loss 0 and no
   * gradient.
   */
  public static double forwardBackward(Decoder decoder, int[] ids, int[] labels, int batch) {
    int[] targets = targets(labels, batch);
    int count = counted(targets);
    Activations a = decoder.forward(ids, batch);
    if (count == 0) {
      return 0;
    }
    return decoder.backward(a, targets, 1f / count) / count;
  }

  /** The mean loss over {@code labels} without a backward. */
  public static double loss(Decoder decoder, int[] ids, int[] labels, int batch) {
    int[] targets = targets(labels, batch);
    int count = counted(targets);
    Activations a = decoder.forward(ids, batch);
    return count == 0 ? 0 : decoder.backend().crossEntropy(a.logits(), targets, null, 1f) / count;
  }
}
