package dev.lorakit.eval.stats;

/**
 * Sums doubles in the order numpy's {@code sum} does (pairwise, with eight running sums per block
 * of at most 128), so that sums of many terms round exactly as the Python references do.
 */
public final class PairwiseSum {

  private static final int BLOCK = 128;

  private PairwiseSum() {}

  /** All of a, summed as numpy's {@code a.sum()} does. */
  public static double sum(double[] a) {
    return sum(a, 0, a.length);
  }

  /** a[from] + ... + a[to - 1], starting from numpy's initial value 0. */
  public static double sum(double[] a, int from, int to) {
    if (from < 0 || to > a.length || from > to)
      throw new IndexOutOfBoundsException(from + ".." + to + " of " + a.length);
    return 0.0 + pairwise(a, from, to - from);
  }

  private static double pairwise(double[] a, int from, int n) {
    if (n < 8) {
      double res = 0.;
      for (int i = 0; i < n; i++) res += a[from + i];
      return res;
    }
    if (n <= BLOCK) {
      double[] r = new double[8];
      for (int j = 0; j < 8; j++) r[j] = a[from + j];
      int i;
      for (i = 8; i < n - (n % 8); i += 8) {
        for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
      }
      double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) res += a[from + i];
      return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, from, n2) + pairwise(a, from + n2, n - n2);
  }
}
