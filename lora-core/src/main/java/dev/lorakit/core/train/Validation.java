package dev.lorakit.core.train;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Validation while training: the mean loss per counted token of held-out examples, measured every
 * {@link Settings#every} steps and at the last step, the best measurement so far, and early
 * stopping after {@link Settings#patience} measurements without improvement.
 *
 * <p>The loss is the training loss's (the decoder's cross-entropy over labels that count), without
 * dropout and without a backward, in right-padded batches as the {@link Trainer} makes them. Its
 * bookkeeping (best loss, its step, measurements since) is a function of the measurements alone: a
 * resumed run {@link #record}s the measurements of its log again and is then where the
 * uninterrupted run was, bit for bit.
 */
public final class Validation {

  /**
   * When to validate.
   *
   * @param every steps between measurements (the last step is always measured; {@value
   *     #DEFAULT_EVERY})
   * @param patience stop after this many measurements in a row without a lower loss than the best;
   *     0: never stop ({@value #DEFAULT_PATIENCE})
   */
  public record Settings(int every, int patience) {

    /** Steps between measurements, by default. */
    public static final int DEFAULT_EVERY = 100;

    /** No early stopping, by default. */
    public static final int DEFAULT_PATIENCE = 0;

    /** Every {@value #DEFAULT_EVERY} steps, no early stopping. */
    public static Settings defaults() {
      return new Settings(DEFAULT_EVERY, DEFAULT_PATIENCE);
    }

    public Settings {
      if (every < 1 || patience < 0) {
        throw new LorakitInputException(
            "Validation needs an interval of at least one step and a "
                + "non-negative patience; got "
                + every
                + " and "
                + patience
                + ".");
      }
    }
  }

  /**
   * What one measurement changed.
   *
   * @param step the step measured
   * @param loss the mean loss per counted token
   * @param improved whether it is the best so far (lower than every earlier one)
   * @param stop whether the patience is used up: the run should end here
   */
  public record Outcome(int step, double loss, boolean improved, boolean stop) {}

  private final List<Example> heldOut;
  private final int batchSize;
  private final int padId;
  private final Settings settings;
  private double best = Double.POSITIVE_INFINITY;
  private int bestStep = -1;
  private int sinceBest;

  /**
   * Validation on {@code heldOut} in batches of {@code batchSize} sequences padded with {@code
   * padId}.
   *
   * @throws LorakitInputException when there is no held-out example or none of them has a label
   *     that counts
   */
  public Validation(List<Example> heldOut, int batchSize, int padId, Settings settings) {
    if (batchSize < 1) {
      throw new LorakitInputException(
          "The validation batch size must be at least 1, not " + batchSize + ".");
    }
    if (heldOut.stream()
        .noneMatch(e -> CausalLmLoss.counted(CausalLmLoss.targets(e.labels(), 1)) > 0)) {
      throw new LorakitInputException("The validation set has no example with a token to predict.");
    }
    this.heldOut = List.copyOf(heldOut);
    this.batchSize = batchSize;
    this.padId = padId;
    this.settings = settings;
  }

  /**
   * Splits {@code examples} into a training part and a held-out part of {@code round(fraction * n)}
   * (at least one, and at least one left to train on), drawn by a shuffle seeded with {@code seed};
   * both keep their order in {@code examples}. Returned as {@code [training, heldOut]}.
   */
  public static <T> List<List<T>> split(List<T> examples, double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new LorakitInputException(
          "The held-out fraction must be between 0 and 1, not " + fraction + ".");
    }
    int n = examples.size();
    int held = (int) Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
    if (held < 1) {
      throw new LorakitInputException(
          "There are " + n + " examples; a held-out split needs at least two.");
    }
    int[] order = Trainer.permutation(n, new SplittableRandom(seed).nextLong(), -1);
    boolean[] isHeld = new boolean[n];
    for (int i = 0; i < held; i++) {
      isHeld[order[i]] = true;
    }
    List<T> train = new ArrayList<>();
    List<T> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      (isHeld[i] ? out : train).add(examples.get(i));
    }
    return List.of(train, out);
  }

  /** Whether step {@code step} of a run of {@code steps} is measured. */
  public boolean due(int step, int steps) {
    return step % settings.every() == 0 || step == steps;
  }

  /**
   * The mean loss per counted token over the held-out examples, under the decoder's current LoRA
   * matrices, with dropout off; the decoder is left in the mode (training or not) it was in.
   */
  public double meanLoss(Decoder decoder) {
    boolean training = decoder.isTraining();
    decoder.setTraining(false);
    try {
      double sum = 0;
      long counted = 0;
      for (int first = 0; first < heldOut.size(); first += batchSize) {
        Trainer.Batch b =
            Trainer.collate(
                heldOut.subList(first, Math.min(heldOut.size(), first + batchSize)), padId);
        int n = CausalLmLoss.counted(b.targets());
        if (n == 0) {
          continue;
        }
        Activations a = decoder.forward(b.ids(), b.batch());
        sum += decoder.backend().crossEntropy(a.logits(), b.targets(), null, 1f);
        counted += n;
      }
      return sum / counted;
    } finally {
      decoder.setTraining(training);
    }
  }

  /** Measures the decoder at {@code step} ({@link #meanLoss}) and {@link #record}s it. */
  public Outcome measure(Decoder decoder, int step) {
    return record(step, meanLoss(decoder));
  }

  /**
   * Takes the measurement {@code loss} at {@code step} into the bookkeeping: a loss below the best
   * is the new best; any other (a non-finite one included) counts against the patience.
   */
  public Outcome record(int step, double loss) {
    boolean improved = loss < best;
    if (improved) {
      best = loss;
      bestStep = step;
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    return new Outcome(
        step, loss, improved, settings.patience() > 0 && sinceBest >= settings.patience());
  }

  /** The lowest loss measured so far ({@code +Infinity} before the first). */
  public double bestLoss() {
    return best;
  }

  /** The step of {@link #bestLoss} ({@code -1} before the first measurement). */
  public int bestStep() {
    return bestStep;
  }

  /** Measurements since the best one. */
  public int sinceBest() {
    return sinceBest;
  }

  /** When to validate. */
  public Settings settings() {
    return settings;
  }

  /** The held-out examples. */
  List<Example> heldOut() {
    return heldOut;
  }
}
