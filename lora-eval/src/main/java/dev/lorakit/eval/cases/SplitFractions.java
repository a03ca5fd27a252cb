package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;

/**
 * The shares of a dataset that go to training, validation and test. Each is in [0, 1] and they sum
 * to 1.
 *
 * @param train share for training, e.g. 0.8
 * @param validation share for validation, e.g. 0.1
 * @param test share for the held-out test set, e.g. 0.1
 */
public record SplitFractions(double train, double validation, double test) {

  /** 0.8 / 0.1 / 0.1. */
  public static final SplitFractions DEFAULT = new SplitFractions(0.8, 0.1, 0.1);

  public SplitFractions {
    check(train, "train");
    check(validation, "validation");
    check(test, "test");
    double sum = train + validation + test;
    if (Math.abs(sum - 1) > 1e-9) {
      throw new LorakitInputException(
          "split fractions "
              + train
              + "/"
              + validation
              + "/"
              + test
              + " sum to "
              + sum
              + ", expected 1.");
    }
  }

  /** Parses "0.8/0.1/0.1" (train/validation/test). */
  public static SplitFractions parse(String text) {
    String[] parts = text.strip().split("\\s*/\\s*");
    if (parts.length != 3) {
      throw new LorakitInputException(
          "split '" + text + "' is not train/validation/test fractions such as 0.8/0.1/0.1.");
    }
    try {
      return new SplitFractions(
          Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2]));
    } catch (NumberFormatException e) {
      throw new LorakitInputException(
          "split '" + text + "' is not train/validation/test fractions such as 0.8/0.1/0.1.");
    }
  }

  private static void check(double f, String name) {
    if (!(f >= 0 && f <= 1))
      throw new LorakitInputException("split fraction " + name + " is " + f + ", expected 0 to 1.");
  }
}
