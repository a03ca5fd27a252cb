package dev.lorakit.eval.stats;

/**
 * The Wilson score interval for a proportion (as statsmodels' {@code
 * proportion_confint(method="wilson")}): better behaved than the normal interval for small samples
 * and shares near 0 or 1.
 */
public final class WilsonInterval {

  private WilsonInterval() {}

  /**
   * The 95% interval for {@code successes} out of {@code n}.
   *
   * @throws IllegalArgumentException unless 0 &le; successes &le; n and n &gt; 0
   */
  public static ConfidenceInterval of95(long successes, long n) {
    if (n <= 0 || successes < 0 || successes > n) {
      throw new IllegalArgumentException(
          "a proportion needs 0 <= successes <= n and n > 0, got " + successes + " of " + n + ".");
    }
    double z = NormalDistribution.Z_975;
    double p = (double) successes / n;
    double z2n = z * z / n;
    double denominator = 1 + z2n;
    double center = (p + z * z / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    return new ConfidenceInterval(p, Math.max(0, center - half), Math.min(1, center + half), 0.95);
  }
}
