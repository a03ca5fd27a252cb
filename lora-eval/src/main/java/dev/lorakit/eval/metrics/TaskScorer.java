package dev.lorakit.eval.metrics;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.answer.AnswerParser;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.stats.PairwiseSum;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Scores predictions against references for one task: parses both sides to canonical labels, then
 * computes accuracy, per-case ROUGE-1 (on the raw texts) and precision/recall/F1 over the labels
 * seen.
 *
 * <p>Answers become labels through {@link AnswerParser#parse(Task, String)}.
 *
 * @param task the task
 * @param useStemmer whether ROUGE-1 stems tokens
 */
public record TaskScorer(Task task, boolean useStemmer) {

  private static final int IDS_SHOWN = 10;

  public TaskScorer {
    Objects.requireNonNull(task, "task");
  }

  /**
   * @param references reference answers by id (their order is the case order)
   * @param predictions predictions by id; a null prediction is unparsed
   * @throws LorakitInputException if the two sides do not hold the same ids, if there are none, or
   *     if a reference cannot be parsed
   */
  public TaskScore score(Map<String, String> references, Map<String, String> predictions) {
    List<String> noPrediction =
        references.keySet().stream().filter(id -> !predictions.containsKey(id)).toList();
    List<String> noReference =
        predictions.keySet().stream().filter(id -> !references.containsKey(id)).toList();
    if (!noPrediction.isEmpty() || !noReference.isEmpty()) {
      StringBuilder m = new StringBuilder("references and predictions must hold the same ids:");
      if (!noPrediction.isEmpty()) m.append(" no prediction for ").append(shown(noPrediction));
      if (!noPrediction.isEmpty() && !noReference.isEmpty()) m.append(";");
      if (!noReference.isEmpty()) m.append(" no reference for ").append(shown(noReference));
      throw new LorakitInputException(m.append('.').toString());
    }
    if (references.isEmpty()) throw new LorakitInputException("there are no cases to score.");

    Rouge1 rouge = new Rouge1(useStemmer);
    List<CaseScore> cases = new ArrayList<>();
    List<String> unparsed = new ArrayList<>();
    List<String> truth = new ArrayList<>();
    List<String> predicted = new ArrayList<>();
    for (Map.Entry<String, String> e : references.entrySet()) {
      String id = e.getKey();
      String reference = e.getValue();
      String expected =
          AnswerParser.parse(task, reference)
              .orElseThrow(
                  () ->
                      new LorakitInputException(
                          "the reference "
                              + task
                              + " of case \""
                              + id
                              + "\" has no recognisable answer: \""
                              + reference
                              + "\"."));
      String prediction = predictions.get(id);
      String label = AnswerParser.parse(task, prediction).orElse(null);
      if (label == null) unparsed.add(id);
      RougeScore r = rouge.score(reference, prediction == null ? "" : prediction);
      cases.add(
          new CaseScore(id, reference, prediction, expected, label, expected.equals(label), r));
      truth.add(expected);
      predicted.add(label);
    }

    TreeSet<String> labels = new TreeSet<>(PrecisionRecallF1::compareCodePoints);
    labels.addAll(truth);
    for (String p : predicted) if (p != null) labels.add(p);
    PrfReport prf = PrecisionRecallF1.of(truth, predicted, new ArrayList<>(labels), 0);
    int n = cases.size();
    RougeScore meanRouge =
        new RougeScore(
            PairwiseSum.sum(cases.stream().mapToDouble(c -> c.rouge1().precision()).toArray()) / n,
            PairwiseSum.sum(cases.stream().mapToDouble(c -> c.rouge1().recall()).toArray()) / n,
            PairwiseSum.sum(cases.stream().mapToDouble(c -> c.rouge1().fmeasure()).toArray()) / n);
    return new TaskScore(task, n, Accuracy.of(truth, predicted), meanRouge, prf, unparsed, cases);
  }

  private static String shown(List<String> ids) {
    String head = String.join(", ", ids.subList(0, Math.min(IDS_SHOWN, ids.size())));
    return ids.size() > IDS_SHOWN ? head + " and " + (ids.size() - IDS_SHOWN) + " more" : head;
  }
}
