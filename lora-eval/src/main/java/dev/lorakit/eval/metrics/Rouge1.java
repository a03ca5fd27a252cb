package dev.lorakit.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ROUGE-1 exactly as {@code rouge_score.rouge_scorer.RougeScorer(['rouge1'], use_stemmer)} computes
 * {@code score(target, prediction)}: unigram counts of both token lists, overlap = sum over target
 * unigrams of min(target count, prediction count), P = overlap / max(prediction tokens, 1), R =
 * overlap / max(target tokens, 1), F = 2PR / (P + R) or 0. An empty side therefore scores 0, not
 * NaN.
 */
public final class Rouge1 {

  private final RougeTokenizer tokenizer;

  /**
   * @param useStemmer rouge-score's {@code use_stemmer}
   */
  public Rouge1(boolean useStemmer) {
    this.tokenizer = new RougeTokenizer(useStemmer);
  }

  /**
   * Scores {@code prediction} against the reference {@code target} (rouge-score's argument order).
   */
  public RougeScore score(String target, String prediction) {
    List<String> targetTokens = tokenizer.tokenize(target);
    List<String> predictionTokens = tokenizer.tokenize(prediction);
    Map<String, Integer> targetCounts = counts(targetTokens);
    Map<String, Integer> predictionCounts = counts(predictionTokens);
    long overlap = 0;
    for (Map.Entry<String, Integer> e : targetCounts.entrySet()) {
      overlap += Math.min(e.getValue(), predictionCounts.getOrDefault(e.getKey(), 0));
    }
    double precision = (double) overlap / Math.max(predictionTokens.size(), 1);
    double recall = (double) overlap / Math.max(targetTokens.size(), 1);
    return new RougeScore(precision, recall, RougeScore.fmeasure(precision, recall));
  }

  private static Map<String, Integer> counts(List<String> tokens) {
    Map<String, Integer> counts = new HashMap<>();
    for (String t : tokens) counts.merge(t, 1, Integer::sum);
    return counts;
  }
}
