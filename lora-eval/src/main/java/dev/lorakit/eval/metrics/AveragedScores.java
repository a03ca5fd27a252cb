package dev.lorakit.eval.metrics;

/** Precision, recall and F1 averaged over labels (micro, macro or weighted). */
public record AveragedScores(double precision, double recall, double f1) {}
