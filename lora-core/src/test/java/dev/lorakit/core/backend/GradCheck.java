package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Central finite differences of a scalar function of float inputs, evaluated and compared in
 * double.
 */
final class GradCheck {

  private GradCheck() {}

  static float[] random(Random rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return a;
  }

  static double relL2(float[] actual, double[] expected) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < actual.length; i++) {
      num += (actual[i] - expected[i]) * (actual[i] - expected[i]);
      den += expected[i] * expected[i];
    }
    return Math.sqrt(num / Math.max(den, 1e-300));
  }

  static double relL2(float[] actual, float[] expected) {
    return dev.lorakit.core.tensor.Errors.relativeL2(actual, expected);
  }

  /** The gradient of {@code loss} at {@code x} by central differences with step {@code eps}. */
  static double[] numeric(float[] x, ToDoubleFunction<float[]> loss, float eps) {
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      float keep = x[i];
      x[i] = keep + eps;
      double plus = loss.applyAsDouble(x);
      x[i] = keep - eps;
      double minus = loss.applyAsDouble(x);
      x[i] = keep;
      g[i] = (plus - minus) / (2.0 * eps);
    }
    return g;
  }

  /**
   * Asserts that {@code analytic} matches the finite differences of {@code loss} to relative L2
   * {@code tol}.
   */
  static void check(
      String what, float[] x, float[] analytic, ToDoubleFunction<float[]> loss, double tol) {
    double err = relL2(analytic, numeric(x, loss, 5e-3f));
    assertTrue(
        err <= tol, what + ": gradient differs from finite differences by relative L2 " + err);
  }

  /** {@code sum out[i] * r[i]} in double: the scalar whose gradient wrt out is r. */
  static double project(float[] out, float[] r) {
    double s = 0;
    for (int i = 0; i < out.length; i++) {
      s += (double) out[i] * r[i];
    }
    return s;
  }
}
