package dev.lorakit.eval.metrics;

import java.util.List;
import java.util.Objects;

/** The share of predictions equal to their reference. */
public final class Accuracy {

  private Accuracy() {}

  /**
   * @param truth the references
   * @param predicted the predictions, same length; a {@code null} prediction (unparsed answer) is
   *     wrong
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public static double of(List<String> truth, List<String> predicted) {
    if (truth.size() != predicted.size()) {
      throw new IllegalArgumentException(
          "accuracy needs as many predictions as references: "
              + predicted.size()
              + " vs "
              + truth.size()
              + ".");
    }
    if (truth.isEmpty()) throw new IllegalArgumentException("accuracy of zero cases is undefined.");
    int correct = 0;
    for (int i = 0; i < truth.size(); i++) {
      if (predicted.get(i) != null && Objects.equals(truth.get(i), predicted.get(i))) correct++;
    }
    return (double) correct / truth.size();
  }
}
