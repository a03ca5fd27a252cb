package dev.lorakit.core.tensor;

/**
 * How far computed values are from expected ones: the measure every reference check in lorakit
 * uses.
 */
public final class Errors {

  private Errors() {}

  /**
   * {@code |actual - expected| / |expected|} in double precision (the plain distance when {@code
   * expected} is all zeros).
   *
   * @throws IllegalArgumentException when the two arrays differ in length
   */
  public static double relativeL2(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new IllegalArgumentException(
          "relative L2 error of arrays of different lengths: "
              + actual.length
              + " values against "
              + expected.length
              + " expected.");
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < actual.length; i++) {
      double d = (double) actual[i] - expected[i];
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
    return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  }
}
