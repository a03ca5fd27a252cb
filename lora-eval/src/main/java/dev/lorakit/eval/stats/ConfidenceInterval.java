package dev.lorakit.eval.stats;

/**
 * A point estimate with a two-sided confidence interval.
 *
 * @param level the confidence level, e.g. 0.95
 */
public record ConfidenceInterval(double estimate, double lower, double upper, double level) {}
