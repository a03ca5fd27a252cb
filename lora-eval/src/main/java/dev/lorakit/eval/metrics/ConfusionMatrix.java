package dev.lorakit.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts of (true label, predicted label) pairs. Rows are true labels, columns predicted labels;
 * unparsed predictions get a column of their own, {@link #UNPARSED}, when there are any.
 */
public record ConfusionMatrix(List<String> rowLabels, List<String> columnLabels, long[][] counts) {

  /** The column label of predictions that could not be parsed. */
  public static final String UNPARSED = "(unparsed)";

  public ConfusionMatrix {
    rowLabels = List.copyOf(rowLabels);
    columnLabels = List.copyOf(columnLabels);
  }

  /** The matrix of a scored task, over the labels of its precision/recall report. */
  public static ConfusionMatrix of(TaskScore score) {
    List<String> labels = score.prf().labels();
    List<String> columns = new ArrayList<>(labels);
    if (!score.unparsed().isEmpty()) columns.add(UNPARSED);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) index.put(columns.get(i), i);
    long[][] counts = new long[labels.size()][columns.size()];
    for (CaseScore c : score.cases()) {
      int row = index.get(c.expected());
      int col = index.get(c.predicted() == null ? UNPARSED : c.predicted());
      counts[row][col]++;
    }
    return new ConfusionMatrix(labels, columns, counts);
  }
}
