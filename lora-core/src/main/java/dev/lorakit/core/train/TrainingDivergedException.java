package dev.lorakit.core.train;

import dev.lorakit.core.LorakitInputException;

/**
 * Training produced a non-finite loss, gradient or weight: the run cannot go on, and nothing
 * non-finite was written (checkpoints and adapters are checked before they are saved). The settings
 * (most often a learning rate too high for the data) are the user's to change, so this is an input
 * problem, not a bug.
 */
public final class TrainingDivergedException extends LorakitInputException {

  private final int step;

  /**
   * @param step the step (1-based) at which it happened
   * @param message one sentence saying what was not finite
   */
  public TrainingDivergedException(int step, String message) {
    super(message);
    this.step = step;
  }

  /** The step (1-based) at which training diverged. */
  public int step() {
    return step;
  }
}
