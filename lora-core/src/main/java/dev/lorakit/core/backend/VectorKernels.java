package dev.lorakit.core.backend;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The innermost loops, on the widest float vectors the CPU has. */
final class VectorKernels {

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private VectorKernels() {}

  /**
   * For each halving step {@code h}: the shuffle that brings lane {@code i + h} to lane {@code i}.
   */
  private static final VectorShuffle<Float>[] HALVES = halves();

  @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array is made raw, then read as typed
  private static VectorShuffle<Float>[] halves() {
    int steps = Integer.numberOfTrailingZeros(F.length());
    VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
    for (int s = 0; s < steps; s++) {
      int h = F.length() >> (s + 1);
      shuffles[s] = VectorShuffle.fromOp(F, i -> (i + h) % F.length());
    }
    return shuffles;
  }

  /**
   * The lanes of {@code v} added as a fixed tree: lane i with lane i + len/2, then i + len/4, and
   * so on. {@code reduceLanes(ADD)} leaves the order to the implementation, and its interpreted and
   * compiled forms differ in the last bits, so one computation could give two answers depending on
   * when the JIT got to it. Lane-wise adds of rearranged lanes are exact IEEE operations in every
   * form.
   */
  static float sumLanes(FloatVector v) {
    for (VectorShuffle<Float> half : HALVES) {
      v = v.add(v.rearrange(half));
    }
    return v.lane(0);
  }

  /** {@code sum a[ao+i] * b[bo+i]} for {@code i < n}. */
  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
    }
    float sum = sumLanes(acc);
    for (; i < n; i++) {
      sum += a[ao + i] * b[bo + i];
    }
    return sum;
  }

  /** {@code y[yo+i] += s * x[xo+i]} for {@code i < n}. */
  static void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
    FloatVector sv = FloatVector.broadcast(F, s);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      FloatVector.fromArray(F, x, xo + i)
          .fma(sv, FloatVector.fromArray(F, y, yo + i))
          .intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] = Math.fma(s, x[xo + i], y[yo + i]);
    }
  }

  /**
   * {@code y[yo+i] *= s} for {@code i < n}; {@code s == 0} writes zeros (so NaN garbage is
   * cleared).
   */
  static void scale(float s, float[] y, int yo, int n) {
    if (s == 0f) {
      Arrays.fill(y, yo, yo + n, 0f);
      return;
    }
    if (s == 1f) {
      return;
    }
    FloatVector sv = FloatVector.broadcast(F, s);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      FloatVector.fromArray(F, y, yo + i).mul(sv).intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] *= s;
    }
  }

  // ---- exp
  // ----------------------------------------------------------------------------------------------

  private static final float LOG2E = 1.44269504088896341f;

  /**
   * 1.5 * 2^23: adding it to a float of magnitude below 2^22 rounds it to an integer, held in the
   * low bits.
   */
  private static final float ROUND = 12582912f;

  private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  // ln 2 split in two (Cody and Waite): n * LN2_HI is exact for the |n| <= 150 used here.
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;

  /** Below this, e^x is under half the smallest subnormal and rounds to 0. */
  static final float EXP_LOW = -104f;

  /** Above this, e^x overflows to infinity. */
  static final float EXP_HIGH = 88.8f;

  /**
   * {@code e^x} lane by lane, within {@link #EXP_MAX_ULPS} units in the last place of the exact e^x
   * for every float x (normal and subnormal results; 0 below -103.98, infinity above 88.73, NaN for
   * NaN). {@code VectorKernelsTest} checks it against {@link Math#exp} over the whole float range
   * (worst measured: 1.003 ulps).
   *
   * <p>x = n ln 2 + r with n = round(x / ln 2) and |r| <= ln(2)/2; e^r by Cephes' degree-6 minimax
   * polynomial ({@code expf}); then times 2^n, applied as two powers of two (2^(n/2) each, both
   * normal floats), so that results near overflow and in the subnormal range come out right. Only
   * lane-wise IEEE operations (FMA, add, multiply, min, max, integer shifts): unlike {@code
   * lanewise(EXP)}, whose interpreted and compiled forms differ in the last bits, the same input
   * gives the same bits whenever and on whichever thread it runs.
   */
  static FloatVector exp(FloatVector x) {
    x = x.max(EXP_LOW).min(EXP_HIGH);
    FloatVector t = x.fma(LOG2E, ROUND);
    FloatVector n = t.sub(ROUND);
    FloatVector r = n.fma(c(-LN2_HI), x);
    r = n.fma(c(-LN2_LO), r);
    FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
    p = p.fma(r, c(8.3334519073e-3f));
    p = p.fma(r, c(4.1665795894e-2f));
    p = p.fma(r, c(1.6666665459e-1f));
    p = p.fma(r, c(5.0000001201e-1f));
    FloatVector y = p.fma(r.mul(r), r).add(1f);
    IntVector k = t.reinterpretAsInts().sub(ROUND_BITS);
    IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
    IntVector k2 = k.sub(k1);
    FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return y.mul(s1).mul(s2);
  }

  private static FloatVector c(float value) {
    return FloatVector.broadcast(F, value);
  }

  /**
   * The bound of {@link #exp}'s error, in units in the last place, measured over every float by its
   * test.
   */
  static final double EXP_MAX_ULPS = 1.5;

  /**
   * The largest of {@code x[xo .. xo+n)} ({@code n >= 1}); NaN if any is NaN. Exact, so in any
   * order.
   */
  static float max(float[] x, int xo, int n) {
    FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      acc = acc.max(FloatVector.fromArray(F, x, xo + i));
    }
    if (i < n) {
      VectorMask<Float> m = F.indexInRange(i, n);
      acc = acc.max(FloatVector.fromArray(F, x, xo + i, m).blend(Float.NEGATIVE_INFINITY, m.not()));
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int lane = 0; lane < F.length(); lane++) {
      max = Math.max(max, acc.lane(lane));
    }
    return max;
  }

  /**
   * Vectors whose sums are added lane-wise in float before each lane sum is taken into the double
   * total.
   */
  private static final int SUM_BLOCK = 64;

  /**
   * {@code out[oo+i] = e^(x[xo+i] - shift)} for {@code i < n} (when {@code out} is not null; it may
   * be {@code x}), and their sum: lane-wise float sums over blocks of {@value #SUM_BLOCK} vectors,
   * each block's lanes added in a fixed tree and the blocks in order in double, so the sum is the
   * same bits for any thread count and stays accurate over a 32000-entry vocabulary.
   */
  static double expShifted(float[] x, int xo, int n, float shift, float[] out, int oo) {
    double sum = 0;
    int i = 0;
    int upper = F.loopBound(n);
    while (i < upper) {
      FloatVector acc = FloatVector.zero(F);
      int end = Math.min(upper, i + SUM_BLOCK * F.length());
      for (; i < end; i += F.length()) {
        FloatVector e = exp(FloatVector.fromArray(F, x, xo + i).sub(shift));
        if (out != null) {
          e.intoArray(out, oo + i);
        }
        acc = acc.add(e);
      }
      sum += sumLanes(acc);
    }
    if (i < n) {
      VectorMask<Float> m = F.indexInRange(i, n);
      FloatVector e = exp(FloatVector.fromArray(F, x, xo + i, m).sub(shift)).blend(0f, m.not());
      if (out != null) {
        e.intoArray(out, oo + i, m);
      }
      sum += sumLanes(e);
    }
    return sum;
  }

  // ---- SwiGLU
  // -------------------------------------------------------------------------------------------

  /** {@code 1 / (1 + e^-g)} lane by lane, with {@link #exp}. */
  private static FloatVector sigmoid(FloatVector g) {
    return c(1f).div(exp(g.neg()).add(1f));
  }

  /**
   * {@code o[i] = g[i] sigmoid(g[i]) u[i]} for {@code from <= i < to}; {@code o} may alias an
   * input.
   */
  static void swiglu(float[] g, float[] u, float[] o, int from, int to) {
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector x = FloatVector.fromArray(F, g, i, m);
      x.mul(sigmoid(x)).mul(FloatVector.fromArray(F, u, i, m)).intoArray(o, i, m);
    }
  }

  /**
   * The backward of {@link #swiglu}: with {@code s = sigmoid(g)}, {@code dg += d u s (1 + g (1 -
   * s))} and {@code du += d g s}, for {@code from <= i < to}.
   */
  static void swigluBackward(
      float[] d, float[] g, float[] u, float[] dg, float[] du, int from, int to) {
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector x = FloatVector.fromArray(F, g, i, m);
      FloatVector dy = FloatVector.fromArray(F, d, i, m);
      FloatVector sig = sigmoid(x);
      FloatVector xs = x.mul(sig);
      FloatVector dGate =
          dy.mul(FloatVector.fromArray(F, u, i, m)).mul(sig.add(xs.sub(xs.mul(sig))));
      dGate.add(FloatVector.fromArray(F, dg, i, m)).intoArray(dg, i, m);
      dy.mul(xs).add(FloatVector.fromArray(F, du, i, m)).intoArray(du, i, m);
    }
  }
}
