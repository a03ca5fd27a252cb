package dev.lorakit.eval.metrics;

/** ROUGE precision, recall and F-measure of one prediction against one target (or their means). */
public record RougeScore(double precision, double recall, double fmeasure) {

  /** The score of nothing against nothing, as rouge-score reports it. */
  public static final RougeScore ZERO = new RougeScore(0, 0, 0);

  /** rouge-score's F: the harmonic mean of P and R computed from them, 0 when both are 0. */
  static double fmeasure(double precision, double recall) {
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }
}
