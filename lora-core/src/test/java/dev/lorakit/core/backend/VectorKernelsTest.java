package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VectorKernelsTest {

  /**
   * The dot product follows one documented order (per-lane fused multiply-adds, then a fixed tree
   * over the lanes, then the scalar tail), so its result does not depend on whether the JIT has
   * compiled it yet. Values of mixed magnitude make any other order show in the last bits.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 15, 16, 17, 64, 100, 1000})
  void dotFollowsTheDocumentedOrder(int n) {
    Random rnd = new Random(n);
    float[] a = new float[n + 3];
    float[] b = new float[n + 5];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rnd.nextGaussian();
    }
    int lanes = VectorKernels.F.length();
    float[] acc = new float[lanes];
    int i = 0;
    for (; i + lanes <= n; i += lanes) {
      for (int l = 0; l < lanes; l++) {
        acc[l] = Math.fma(a[3 + i + l], b[5 + i + l], acc[l]);
      }
    }
    for (int width = lanes / 2; width >= 1; width /= 2) { // the documented tree over the lanes
      for (int l = 0; l < width; l++) {
        acc[l] += acc[l + width];
      }
    }
    float expected = acc[0];
    for (; i < n; i++) {
      expected += a[3 + i] * b[5 + i];
    }
    for (int repeat = 0; repeat < 20_000; repeat++) { // through the interpreter and both JIT tiers
      assertEquals(expected, VectorKernels.dot(a, 3, b, 5, n), 0f);
    }
  }

  /**
   * {@link VectorKernels#exp} against {@link Math#exp} rounded to float over the whole float range:
   * every 97th bit pattern (44 million values, both signs, normal and subnormal inputs, results
   * from 0 through the subnormals to infinity) and the edges. The error must stay within {@link
   * VectorKernels#EXP_MAX_ULPS} units in the last place of the float result (subnormal results: of
   * the subnormal spacing); NaN gives NaN.
   */
  @org.junit.jupiter.api.Test
  void expIsWithinItsStatedUlpsOfMathExpOverEveryFloat() {
    int lanes = VectorKernels.F.length();
    float[] x = new float[lanes];
    float[] y = new float[lanes];
    double worst = 0;
    float worstAt = 0;
    float[] edges = {
      0f,
      -0f,
      1f,
      -1f,
      Float.MIN_VALUE,
      -Float.MIN_VALUE,
      Float.MAX_VALUE,
      -Float.MAX_VALUE,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      88.72283f,
      88.72284f,
      88.7f,
      88.8f,
      -87.33654f,
      -87.34f,
      -103.27893f,
      -103.97208f,
      -103.98f,
      -104f,
      -150f,
      1e-8f,
      -1e-8f
    };
    long patterns = 1L << 32;
    long step = 97;
    int fill = 0;
    for (long bits = 0; bits < patterns + (long) edges.length * step; bits += step) {
      long k = bits / step - patterns / step - 1;
      x[fill++] = bits < patterns ? Float.intBitsToFloat((int) bits) : edges[(int) Math.max(0, k)];
      if (fill < lanes) {
        continue;
      }
      fill = 0;
      VectorKernels.exp(jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, x, 0))
          .intoArray(y, 0);
      for (int l = 0; l < lanes; l++) {
        double ulps = ulps(x[l], y[l]);
        if (ulps > worst) {
          worst = ulps;
          worstAt = x[l];
        }
      }
    }
    System.out.printf("VectorKernels.exp: worst error %.3f ulps, at x = %s%n", worst, worstAt);
    org.junit.jupiter.api.Assertions.assertTrue(
        worst <= VectorKernels.EXP_MAX_ULPS, "exp(" + worstAt + ") is off by " + worst + " ulps");
    Arrays.fill(x, Float.NaN);
    VectorKernels.exp(jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, x, 0))
        .intoArray(y, 0);
    org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(y[0]), "exp(NaN) = " + y[0]);
  }

  /**
   * How far {@code got} is from e^x in units of the float spacing at e^x (infinity past the largest
   * float).
   */
  private static double ulps(float x, float got) {
    if (Float.isNaN(x)) {
      return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    }
    double exact = Math.exp(x);
    float rounded = (float) exact;
    if (Float.isInfinite(rounded) || Float.isInfinite(got)) {
      return rounded == got
          ? 0
          : Float.isInfinite(got) && exact > Float.MAX_VALUE * (1 - 0x1p-24)
              ? 1
              : Double.POSITIVE_INFINITY;
    }
    return Math.abs(got - exact) / Math.ulp(rounded);
  }
}
