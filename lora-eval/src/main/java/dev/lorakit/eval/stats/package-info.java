/**
 * The statistics of a base-against-tuned comparison, each with scipy's, numpy's or statsmodels'
 * semantics so that p-values and intervals agree with the Python references: {@link
 * dev.lorakit.eval.stats.Wilcoxon} (the signed-rank test as {@code scipy.stats.wilcoxon}, with its
 * methods and {@code zero_method}s), {@link dev.lorakit.eval.stats.Bootstrap} (seeded percentile
 * intervals) and {@link dev.lorakit.eval.stats.WilsonInterval}. The same seed and input always give
 * the same result.
 */
package dev.lorakit.eval.stats;
