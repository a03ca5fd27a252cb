package dev.lorakit.eval.metrics;

/** Precision, recall, F1 and support (number of true instances) of one label. */
public record ClassScores(String label, double precision, double recall, double f1, int support) {}
