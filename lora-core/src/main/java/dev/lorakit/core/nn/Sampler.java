package dev.lorakit.core.nn;

import dev.lorakit.core.LorakitInputException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits: greedy (temperature 0), or sampled after temperature
 * scaling, top-k and top-p (nucleus) filtering, from a seeded generator so that a run can be
 * repeated.
 */
public final class Sampler {

  /**
   * How to choose.
   *
   * @param temperature 0 for greedy; otherwise logits are divided by it
   * @param topK keep the k most likely tokens (0: all)
   * @param topP keep the smallest set of most likely tokens whose probability reaches p (1: all)
   * @param seed seed of the random draws
   */
  public record Settings(double temperature, int topK, double topP, long seed) {
    public Settings {
      if (!(temperature >= 0) || topK < 0 || !(topP > 0 && topP <= 1)) {
        throw new LorakitInputException(
            "Sampling needs temperature >= 0, top-k >= 0 and 0 < top-p <= 1; got "
                + temperature
                + ", "
                + topK
                + ", "
                + topP
                + ".");
      }
    }

    /** Always the most likely token. */
    public static Settings greedy() {
      return new Settings(0, 0, 1, 0);
    }
  }

  private final Settings settings;
  private final SplittableRandom random;

  public Sampler(Settings settings) {
    this.settings = settings;
    this.random = new SplittableRandom(settings.seed());
  }

  /** The index of the largest value (the first one on ties). */
  public static int argmax(float[] logits, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (logits[offset + i] > logits[offset + best]) {
        best = i;
      }
    }
    return best;
  }

  /** The next token from {@code logits[offset .. offset+vocab)}. */
  public int next(float[] logits, int offset, int vocab) {
    if (settings.temperature() == 0) {
      return argmax(logits, offset, vocab);
    }
    Integer[] order = new Integer[vocab];
    for (int i = 0; i < vocab; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logits[offset + b], logits[offset + a]));
    int keep = settings.topK() > 0 ? Math.min(settings.topK(), vocab) : vocab;
    double max = logits[offset + order[0]] / settings.temperature();
    double[] p = new double[keep];
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      p[i] = Math.exp(logits[offset + order[i]] / settings.temperature() - max);
      sum += p[i];
    }
    double cumulative = 0;
    int nucleus = keep;
    for (int i = 0; i < keep; i++) {
      cumulative += p[i] / sum;
      if (cumulative >= settings.topP()) {
        nucleus = i + 1;
        break;
      }
    }
    double total = 0;
    for (int i = 0; i < nucleus; i++) {
      total += p[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < nucleus; i++) {
      u -= p[i];
      if (u < 0) {
        return order[i];
      }
    }
    return order[nucleus - 1];
  }
}
