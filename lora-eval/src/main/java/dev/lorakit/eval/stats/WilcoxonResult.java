package dev.lorakit.eval.stats;

/**
 * The outcome of a Wilcoxon signed-rank test.
 *
 * @param statistic for a two-sided test min(R+, R-), otherwise R+ (the sum of the ranks of the
 *     positive differences), as scipy reports it
 * @param pvalue the p-value
 * @param method the method that produced the p-value (never {@link WilcoxonMethod#AUTO})
 * @param n the number of differences given, zeros included
 */
public record WilcoxonResult(double statistic, double pvalue, WilcoxonMethod method, int n) {}
