package dev.lorakit.eval.metrics;

import java.util.List;

/**
 * Per-label precision, recall, F1 and support with their micro, macro and support-weighted
 * averages.
 *
 * @param perClass one entry per label, labels sorted (the union of true and predicted labels)
 */
public record PrfReport(
    List<ClassScores> perClass,
    AveragedScores micro,
    AveragedScores macro,
    AveragedScores weighted) {

  public PrfReport {
    perClass = List.copyOf(perClass);
  }

  /** The labels in order. */
  public List<String> labels() {
    return perClass.stream().map(ClassScores::label).toList();
  }
}
