package dev.lorakit.eval.stats;

/**
 * The standard normal distribution's cdf and survival function, accurate to a few units in the last
 * place across the range p-values need (far tails included), so that p-values agree with scipy's
 * {@code ndtr} to about 1e-14 relative.
 */
final class NormalDistribution {

  private static final double SQRT_HALF = 0.70710678118654752440;
  private static final double TWO_OVER_SQRT_PI = 1.12837916709551257390;
  private static final double ONE_OVER_SQRT_PI = 0.56418958354775628695;
  private static final double MAX_LOG = 709.782712893384;

  /** The two-sided 95% quantile, ndtri(0.975). */
  static final double Z_975 = 1.959963984540054;

  private NormalDistribution() {}

  /** P(Z &le; x). */
  static double cdf(double x) {
    if (Double.isNaN(x)) return Double.NaN;
    double t = x * SQRT_HALF;
    double a = Math.abs(t);
    if (a < SQRT_HALF) return 0.5 + 0.5 * erf(t);
    double y = 0.5 * erfc(a);
    return t > 0 ? 1 - y : y;
  }

  /** P(Z &gt; x), computed without cancellation in the upper tail. */
  static double sf(double x) {
    return cdf(-x);
  }

  /**
   * erf by the series 2/sqrt(pi) exp(-x^2) sum (2x^2)^k x / (1*3*...*(2k+1)): all terms are
   * positive, so no cancellation; used for |x| &lt; 2.
   */
  static double erf(double x) {
    double a = Math.abs(x);
    if (a >= 2) return Math.copySign(1 - erfc(a), x);
    double x2 = a * a;
    double term = a;
    double sum = a;
    for (int k = 1; k < 200; k++) {
      term *= 2 * x2 / (2 * k + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.copySign(TWO_OVER_SQRT_PI * Math.exp(-x2) * sum, x);
  }

  /**
   * erfc for x &ge; 0: one minus the series below 2, and Laplace's continued fraction (modified
   * Lentz) above.
   */
  static double erfc(double x) {
    if (x < 0) return 2 - erfc(-x);
    if (x < 2) return 1 - erf(x);
    if (x * x > MAX_LOG) return 0; // cephes (scipy) flushes to 0 where exp(-x^2) underflows
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0;
    for (int k = 1; k < 500; k++) {
      double ak = k / 2.0;
      d = x + ak * d;
      if (d == 0) d = tiny;
      c = x + ak / c;
      if (c == 0) c = tiny;
      d = 1 / d;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    return ONE_OVER_SQRT_PI * expMinusSquare(x) / f;
  }

  /** exp(-x^2) with x^2 split into a head and an exact tail, so large x loses no accuracy. */
  private static double expMinusSquare(double x) {
    double hi = x * x;
    double lo = Math.fma(x, x, -hi);
    return Math.exp(-hi) * Math.exp(-lo);
  }
}
