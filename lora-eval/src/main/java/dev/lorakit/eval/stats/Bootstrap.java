package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap confidence intervals for an aggregate of per-case values: resample the cases
 * with replacement, recompute the aggregate, and take the (1 - level)/2 and (1 + level)/2
 * percentiles (linear interpolation, as numpy's default). The same seed and input always give the
 * same interval.
 *
 * @param resamples number of bootstrap resamples (e.g. 2000)
 * @param seed the random seed
 */
public record Bootstrap(int resamples, long seed) {

  /** 2000 resamples. */
  public static final int DEFAULT_RESAMPLES = 2000;

  public Bootstrap {
    if (resamples < 1)
      throw new LorakitInputException("resamples must be at least 1, got " + resamples + ".");
  }

  /** The 95% interval of the mean. */
  public ConfidenceInterval mean95(double[] values) {
    return interval(values, Bootstrap::mean, 0.95);
  }

  /**
   * @param values per-case values (at least one)
   * @param statistic the aggregate, e.g. the mean
   * @param level the confidence level in (0, 1)
   */
  public ConfidenceInterval interval(
      double[] values, ToDoubleFunction<double[]> statistic, double level) {
    if (values.length == 0)
      throw new LorakitInputException("a bootstrap interval needs at least one value.");
    if (!(level > 0 && level < 1))
      throw new LorakitInputException("level must lie in (0, 1), got " + level + ".");
    SplittableRandom random = new SplittableRandom(seed);
    double[] stats = new double[resamples];
    double[] sample = new double[values.length];
    for (int b = 0; b < resamples; b++) {
      for (int i = 0; i < sample.length; i++) sample[i] = values[random.nextInt(values.length)];
      stats[b] = statistic.applyAsDouble(sample);
    }
    Arrays.sort(stats);
    double alpha = (1 - level) / 2;
    return new ConfidenceInterval(
        statistic.applyAsDouble(values.clone()),
        percentile(stats, alpha),
        percentile(stats, 1 - alpha),
        level);
  }

  static double mean(double[] v) {
    return PairwiseSum.sum(v) / v.length;
  }

  /** numpy's default ("linear") percentile of sorted data, q in [0, 1]. */
  static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double frac = pos - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
  }
}
