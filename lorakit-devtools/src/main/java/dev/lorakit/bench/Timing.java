package dev.lorakit.bench;

import java.util.Arrays;

/**
 * Times a piece of work the simple way the drivers need: warm up until the JIT has settled, then
 * take a number of samples and keep the best and the median. JMH does this more carefully; the
 * drivers use it so that one run prints a whole table next to an external reference timed the same
 * way.
 *
 * @param best the fastest sample, seconds
 * @param median the median sample, seconds
 * @param count the number of samples
 */
public record Timing(double best, double median, int count) {

  /** Something to time. */
  @FunctionalInterface
  public interface Work {
    void run() throws Exception;
  }

  /**
   * Runs {@code work} for at least {@code warmupSeconds} (and 3 times), then samples it for at
   * least {@code seconds} and {@code minSamples} times, at most {@code maxSamples} times.
   */
  public static Timing of(
      Work work, double warmupSeconds, double seconds, int minSamples, int maxSamples)
      throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < 3 || System.nanoTime() - start < warmupSeconds * 1e9; i++) {
      work.run();
    }
    double[] samples = new double[maxSamples];
    int n = 0;
    start = System.nanoTime();
    while (n < maxSamples && (n < minSamples || System.nanoTime() - start < seconds * 1e9)) {
      long t0 = System.nanoTime();
      work.run();
      samples[n++] = (System.nanoTime() - t0) * 1e-9;
    }
    double[] sorted = Arrays.copyOf(samples, n);
    Arrays.sort(sorted);
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return new Timing(sorted[0], median, n);
  }
}
