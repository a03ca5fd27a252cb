package dev.lorakit.eval.metrics;

import dev.lorakit.eval.cases.Task;
import java.util.List;

/**
 * The scores of one task over a set of cases.
 *
 * @param n the number of cases
 * @param accuracy the share of correct cases (unparsed predictions are wrong)
 * @param rouge1 the mean of the per-case ROUGE-1 precision, recall and F
 * @param prf per-label and averaged precision, recall and F1 (zero_division 0)
 * @param unparsed ids whose prediction could not be parsed, in case order
 * @param cases the per-case scores, in reference order
 */
public record TaskScore(
    Task task,
    int n,
    double accuracy,
    RougeScore rouge1,
    PrfReport prf,
    List<String> unparsed,
    List<CaseScore> cases) {

  public TaskScore {
    unparsed = List.copyOf(unparsed);
    cases = List.copyOf(cases);
  }

  /** 1 or 0 per case, for bootstrap intervals and paired tests. */
  public double[] correctness() {
    return cases.stream().mapToDouble(c -> c.correct() ? 1 : 0).toArray();
  }

  /** Per-case ROUGE-1 F. */
  public double[] rouge1F() {
    return cases.stream().mapToDouble(c -> c.rouge1().fmeasure()).toArray();
  }
}
