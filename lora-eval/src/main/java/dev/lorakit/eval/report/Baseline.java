package dev.lorakit.eval.report;

import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.AveragedScores;
import dev.lorakit.eval.metrics.CaseScore;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.metrics.TaskScorer;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a model that knows nothing but the commonest answer scores: every case answered with the
 * reference answer met most often among the test cases (the majority class for the modality, the
 * most frequent code for ICD-10, the commonest regimen text as a template regimen). A tuned model's
 * accuracy means something only above this row: where 82% of the cases are photon, "photon" every
 * time is 0.82 accurate.
 *
 * @param task the task's name
 * @param metric the primary metric's name, as in {@link TaskComparison#metric}
 * @param answer the constant answer
 * @param ci its primary metric with a 95% interval
 * @param prf its macro precision/recall/F1, or null for the regimen
 */
public record Baseline(
    String task, String metric, String answer, ConfidenceInterval ci, AveragedScores prf) {

  /**
   * The constant-answer baseline on the cases {@code scored} was scored on (only their references
   * are used).
   */
  public static Baseline of(TaskScore scored, Bootstrap bootstrap) {
    Task task = scored.task();
    // Count canonical labels (so "C61" and "c61" are one code), keep the first reference text of
    // each.
    Map<String, Integer> counts = new TreeMap<>();
    Map<String, String> text = new LinkedHashMap<>();
    for (CaseScore c : scored.cases()) {
      String label = c.expected() != null ? c.expected() : c.reference();
      counts.merge(label, 1, Integer::sum);
      text.putIfAbsent(label, c.reference());
    }
    // The commonest; among equals the first in label order, so the row does not depend on case
    // order.
    String top =
        counts.entrySet().stream()
            .max(
                Comparator.<Map.Entry<String, Integer>>comparingInt(Map.Entry::getValue)
                    .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
            .orElseThrow()
            .getKey();
    String answer = text.get(top);
    Map<String, String> references = new LinkedHashMap<>();
    Map<String, String> constant = new LinkedHashMap<>();
    for (CaseScore c : scored.cases()) {
      references.put(c.id(), c.reference());
      constant.put(c.id(), answer);
    }
    TaskScore s = new TaskScorer(task, false).score(references, constant);
    boolean regimen = task == Task.REGIMEN;
    return new Baseline(
        task.answerField(),
        regimen ? "ROUGE-1 F" : "accuracy",
        answer,
        bootstrap.mean95(regimen ? s.rouge1F() : s.correctness()),
        regimen ? null : s.prf().macro());
  }
}
