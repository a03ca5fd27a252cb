package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The Wilcoxon signed-rank test on paired differences, with the semantics of {@code
 * scipy.stats.wilcoxon(d, zero_method, correction, alternative, method)} in scipy 1.17: the same
 * statistic, the same choice of method under {@code auto}, and the same p-value conventions.
 *
 * <pre>{@code
 * WilcoxonResult r = new Wilcoxon(ZeroMethod.WILCOX, false, Alternative.GREATER, WilcoxonMethod.AUTO)
 *     .test(differences);
 * }</pre>
 *
 * @param zeroMethod how zero differences are treated
 * @param correction whether the normal approximation gets a continuity correction of 0.5
 * @param alternative the alternative hypothesis; {@code greater} means the differences tend to be
 *     positive
 * @param method how the p-value is computed ({@link WilcoxonMethod#PERMUTATION} cannot be asked
 *     for)
 */
public record Wilcoxon(
    ZeroMethod zeroMethod, boolean correction, Alternative alternative, WilcoxonMethod method) {

  /** scipy uses the exact distribution under {@code auto} up to this many differences. */
  static final int AUTO_EXACT_MAX_N = 50;

  /**
   * scipy's permutation test enumerates every sign flip when 2^n does not exceed its default 9999
   * resamples, which is n &le; 13; {@code auto} only chooses it then.
   */
  static final int AUTO_PERMUTATION_MAX_N = 13;

  /**
   * scipy's permutation test treats statistics within 100 ulp (relative) of the observed one as
   * equal.
   */
  private static final double PERMUTATION_RELATIVE_TOLERANCE = Math.ulp(1.0) * 100;

  public Wilcoxon {
    Objects.requireNonNull(zeroMethod, "zeroMethod");
    Objects.requireNonNull(alternative, "alternative");
    Objects.requireNonNull(method, "method");
    if (method == WilcoxonMethod.PERMUTATION) {
      throw new LorakitInputException(
          "method must be auto, exact or asymptotic; auto chooses permutation.");
    }
  }

  /** scipy's defaults: zero_method wilcox, no continuity correction, two-sided, auto. */
  public static Wilcoxon defaults() {
    return new Wilcoxon(ZeroMethod.WILCOX, false, Alternative.TWO_SIDED, WilcoxonMethod.AUTO);
  }

  /** The same test with another alternative. */
  public Wilcoxon withAlternative(Alternative a) {
    return new Wilcoxon(zeroMethod, correction, a, method);
  }

  /**
   * Tests the differences {@code d} (e.g. tuned minus base, case by case).
   *
   * @throws LorakitInputException if {@code d} is empty or holds a NaN or an infinity
   */
  public WilcoxonResult test(double[] d) {
    if (d.length == 0)
      throw new LorakitInputException("the Wilcoxon test needs at least one difference.");
    for (int i = 0; i < d.length; i++) {
      if (!Double.isFinite(d[i])) {
        throw new LorakitInputException(
            "difference " + (i + 1) + " is " + d[i] + "; expected a finite number.");
      }
    }
    int zeros = 0;
    for (double v : d) if (v == 0) zeros++;

    SignedRanks ranks = SignedRanks.of(d, zeroMethod);
    WilcoxonMethod chosen = method;
    if (chosen == WilcoxonMethod.AUTO) {
      if (d.length > AUTO_EXACT_MAX_N) chosen = WilcoxonMethod.ASYMPTOTIC;
      else if (!ranks.hasTies() && zeros == 0) chosen = WilcoxonMethod.EXACT;
      else if (d.length <= AUTO_PERMUTATION_MAX_N) chosen = WilcoxonMethod.PERMUTATION;
      else chosen = WilcoxonMethod.ASYMPTOTIC;
    }

    double rPlus = ranks.rPlus();
    double p =
        switch (chosen) {
          case ASYMPTOTIC -> asymptoticPValue(ranks);
          case EXACT -> exactPValue(rPlus, ranks.count());
          case PERMUTATION -> permutationPValue(ranks);
          case AUTO -> throw new AssertionError("auto was resolved above");
        };
    // scipy keeps reporting min(R+, R-) for two-sided tests "for backward compatibility".
    double statistic =
        alternative == Alternative.TWO_SIDED ? Math.min(rPlus, ranks.rMinus()) : rPlus;
    return new WilcoxonResult(statistic, p, chosen, d.length);
  }

  private double asymptoticPValue(SignedRanks r) {
    double z = (r.rPlus() - r.nullMean()) / r.nullSd();
    if (correction) {
      double sign =
          switch (alternative) {
            case GREATER -> 1;
            case LESS -> -1;
            case TWO_SIDED -> Math.signum(z);
          };
      z -= sign * 0.5 / r.nullSd();
    }
    return switch (alternative) {
      case GREATER -> NormalDistribution.sf(z);
      case LESS -> NormalDistribution.cdf(z);
      case TWO_SIDED -> 2 * NormalDistribution.sf(Math.abs(z));
    };
  }

  /**
   * With ties or zeros the statistic may be a half-integer while the exact distribution lives on
   * the integers; like scipy, round towards the conservative side (down for the upper tail, up for
   * the lower).
   */
  private double exactPValue(double rPlus, int count) {
    SignedRankDistribution dist = new SignedRankDistribution(count);
    long down = (long) Math.floor(rPlus);
    long up = (long) Math.ceil(rPlus);
    return switch (alternative) {
      case GREATER -> dist.sf(down);
      case LESS -> dist.cdf(up);
      case TWO_SIDED -> Math.min(1.0, Math.max(0.0, 2 * Math.min(dist.sf(down), dist.cdf(up))));
    };
  }

  /**
   * Every one of the 2^n sign flips is equally likely under the null hypothesis. Flipping signs
   * leaves |d| and so the ranks unchanged, so each flip's R+ is the sum of the ranks it makes
   * positive.
   */
  private double permutationPValue(SignedRanks r) {
    double[] rank = r.ranksOfAll();
    double[] d = r.differences();
    int n = d.length;
    double observed = r.rPlus();
    double gamma = Math.abs(PERMUTATION_RELATIVE_TOLERANCE * observed);
    long total = 1L << n;
    long atMost = 0;
    long atLeast = 0;
    for (long mask = 0; mask < total; mask++) {
      double s = r.zeroShare();
      for (int i = 0; i < n; i++) {
        if (d[i] == 0) continue;
        boolean flipped = (mask >>> i & 1) != 0;
        if ((d[i] > 0) != flipped) s += rank[i];
      }
      if (s <= observed + gamma) atMost++;
      if (s >= observed - gamma) atLeast++;
    }
    double less = (double) atMost / total;
    double greater = (double) atLeast / total;
    double p =
        switch (alternative) {
          case LESS -> less;
          case GREATER -> greater;
          case TWO_SIDED -> Math.min(less, greater) * 2;
        };
    return Math.min(1.0, Math.max(0.0, p));
  }

  /**
   * The ranks of |d| and the rank sums for one zero method, with the null mean and standard
   * deviation of R+ used by the normal approximation.
   */
  record SignedRanks(
      double[] differences,
      double[] ranksOfAll,
      double rPlus,
      double rMinus,
      double zeroShare,
      int count,
      boolean hasTies,
      double nullMean,
      double nullSd) {

    static SignedRanks of(double[] d, ZeroMethod zeroMethod) {
      int n = d.length;
      // Wilcox drops the zeros before ranking: they get no rank (NaN) and count for nothing.
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) order[i] = i;
      boolean dropZeros = zeroMethod == ZeroMethod.WILCOX;
      Arrays.sort(
          order,
          (a, b) -> {
            boolean za = dropZeros && d[a] == 0;
            boolean zb = dropZeros && d[b] == 0;
            if (za != zb) return za ? 1 : -1;
            return Double.compare(Math.abs(d[a]), Math.abs(d[b]));
          });
      int ranked = 0;
      for (double v : d) if (!(dropZeros && v == 0)) ranked++;

      double[] rank = new double[n];
      Arrays.fill(rank, Double.NaN);
      double tieCorrection = 0;
      boolean ties = false;
      int zeros = 0;
      for (double v : d) if (v == 0) zeros++;
      for (int start = 0; start < ranked; ) {
        int end = start + 1;
        double a = Math.abs(d[order[start]]);
        while (end < ranked && Math.abs(d[order[end]]) == a) end++;
        int t = end - start;
        double average = (start + 1) + (t - 1) / 2.0;
        for (int k = start; k < end; k++) rank[order[k]] = average;
        if (t > 1) ties = true;
        // Pratt leaves the zeros' group out of the tie correction (they always rank first).
        boolean zeroGroup = a == 0;
        if (!(zeroMethod == ZeroMethod.PRATT && zeroGroup)) tieCorrection += (double) t * t * t - t;
        start = end;
      }

      double plus = 0;
      double minus = 0;
      double zeroRanks = 0;
      for (int i = 0; i < n; i++) {
        if (d[i] > 0) plus += rank[i];
        else if (d[i] < 0) minus += rank[i];
        else if (zeroMethod == ZeroMethod.ZSPLIT) zeroRanks += rank[i];
      }
      double zeroShare = zeroRanks / 2;
      plus += zeroShare;
      minus += zeroShare;

      double c = ranked;
      double mean = c * (c + 1.) * 0.25;
      double var = c * (c + 1.) * (2. * c + 1.);
      if (zeroMethod == ZeroMethod.PRATT) {
        double z = zeros;
        mean -= z * (z + 1.) * 0.25;
        var -= z * (z + 1.) * (2. * z + 1.);
      }
      double sd = Math.sqrt((var - tieCorrection / 2) / 24);
      return new SignedRanks(d.clone(), rank, plus, minus, zeroShare, ranked, ties, mean, sd);
    }
  }
}
