package dev.lorakit.eval.synth;

import java.util.List;
import java.util.Random;

/**
 * The random choices the sites make, over one seeded {@link Random} (whose algorithm Java
 * specifies, so a seed gives the same cases on every JDK and platform).
 */
final class Chance {

  private final Random random;

  Chance(long seed) {
    this.random = new Random(seed);
  }

  /** True with probability {@code p}. */
  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** A whole number from {@code lo} to {@code hi}, both included. */
  int between(int lo, int hi) {
    return lo + random.nextInt(hi - lo + 1);
  }

  /** A number from {@code lo} to {@code hi} rounded to {@code decimals} places. */
  double between(double lo, double hi, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round((lo + random.nextDouble() * (hi - lo)) * scale) / scale;
  }

  /** A standard normal draw. */
  double gaussian() {
    return random.nextGaussian();
  }

  /** An age, roughly normal around {@code mean}, kept within [lo, hi]. */
  int age(double mean, double sd, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, Math.round(mean + sd * random.nextGaussian())));
  }

  @SafeVarargs
  final <T> T pick(T... options) {
    return options[random.nextInt(options.length)];
  }

  <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  /** Index {@code i} with probability proportional to {@code weights[i]}. */
  int weighted(double... weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = random.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}
