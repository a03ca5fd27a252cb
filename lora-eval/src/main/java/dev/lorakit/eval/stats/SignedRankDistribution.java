package dev.lorakit.eval.stats;

/**
 * The exact null distribution of the signed-rank sum R+ for n untied, non-zero differences: each of
 * the 2^n sign patterns is equally likely, so P(R+ = k) is the number of subsets of {1..n} summing
 * to k over 2^n.
 *
 * <p>The probabilities are built as scipy builds them (adding one rank at a time and halving), and
 * tails are summed in numpy's order, so results agree with scipy bit for bit; up to n = 50 every
 * value involved is an exact binary fraction anyway.
 */
final class SignedRankDistribution {

  private final int n;
  private final double[] pmf;

  SignedRankDistribution(int n) {
    if (n < 0) throw new IllegalArgumentException("n must be non-negative, got " + n);
    this.n = n;
    double[] c = {1.0};
    for (int k = 1; k <= n; k++) {
      // Adding rank k: R+ either stays (sign -) or grows by k (sign +), each with probability 1/2.
      double[] next = new double[k * (k + 1) / 2 + 1];
      int m = c.length;
      for (int i = 0; i < m; i++) next[i] = c[i] * 0.5;
      for (int i = 0; i < m; i++) next[next.length - m + i] += c[i] * 0.5;
      c = next;
    }
    this.pmf = c;
  }

  /** The largest value R+ can take, n(n+1)/2. */
  long max() {
    return pmf.length - 1L;
  }

  double pmf(long k) {
    return k < 0 || k > max() ? 0 : pmf[(int) k];
  }

  /** P(R+ &le; k). Like scipy, the upper half is found as one minus the other tail. */
  double cdf(long k) {
    return k <= mean() ? lowerTail(k) : 1 - upperTail(k + 1);
  }

  /** P(R+ &ge; k). */
  double sf(long k) {
    return k <= mean() ? upperTail(k) : 1 - lowerTail(k - 1);
  }

  private double mean() {
    return n * (n + 1) / 4.0;
  }

  /** pmf[0..k] summed. */
  private double lowerTail(long k) {
    if (k < 0) return 0;
    int to = (int) Math.min(k + 1, pmf.length);
    return PairwiseSum.sum(pmf, 0, to);
  }

  /** pmf[k..] summed. */
  private double upperTail(long k) {
    int from = (int) Math.max(0, Math.min(k, pmf.length));
    return PairwiseSum.sum(pmf, from, pmf.length);
  }
}
