package dev.lorakit.eval.report;

/** One logged training step. */
public record TrainingPoint(long step, double loss) {}
