package dev.lorakit.eval.metrics;

import dev.lorakit.eval.stats.PairwiseSum;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Precision, recall and F1 as scikit-learn (1.4 and later) {@code precision_recall_fscore_support}
 * computes them for multiclass labels:
 *
 * <ul>
 *   <li>labels are the sorted union of true and predicted labels;
 *   <li>precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2tp / (2tp + fp + fn), each
 *       replaced by {@code zeroDivision} exactly when its own denominator is 0 (so F1 falls back
 *       only when tp + fp + fn is 0, never because precision or recall did);
 *   <li>micro: the same formulas on the summed counts; macro: the plain mean over labels; weighted:
 *       the mean weighted by support, or the plain mean when every support is 0; NaN entries
 *       (zeroDivision NaN) are left out of both means.
 * </ul>
 */
public final class PrecisionRecallF1 {

  private PrecisionRecallF1() {}

  /**
   * @param truth true labels
   * @param predicted predicted labels, same length; a label never seen in {@code truth} counts as a
   *     class of its own (with support 0)
   * @param zeroDivision the value of a ratio whose denominator is 0: 0, 1 or NaN
   */
  public static PrfReport of(List<String> truth, List<String> predicted, double zeroDivision) {
    TreeSet<String> sorted = new TreeSet<>(PrecisionRecallF1::compareCodePoints);
    sorted.addAll(truth);
    for (String p : predicted) if (p != null) sorted.add(p);
    return of(truth, predicted, new ArrayList<>(sorted), zeroDivision);
  }

  /**
   * The same with scikit-learn's {@code labels=}: only these labels are scored and averaged, in
   * this order. A prediction outside them, or {@code null} (an answer that could not be parsed), is
   * a miss for its true label and a prediction of no scored label.
   *
   * @throws IllegalArgumentException if a true label is not among {@code labels}
   */
  public static PrfReport of(
      List<String> truth, List<String> predicted, List<String> labels, double zeroDivision) {
    if (truth.size() != predicted.size()) {
      throw new IllegalArgumentException(
          "precision/recall need as many predictions as references: "
              + predicted.size()
              + " vs "
              + truth.size()
              + ".");
    }
    if (!(zeroDivision == 0 || zeroDivision == 1 || Double.isNaN(zeroDivision))) {
      throw new IllegalArgumentException(
          "zero_division must be 0, 1 or NaN, got " + zeroDivision + ".");
    }
    Map<String, Integer> index = new HashMap<>();
    for (String l : labels) {
      if (index.putIfAbsent(l, index.size()) != null)
        throw new IllegalArgumentException("label '" + l + "' is listed twice.");
    }

    int k = labels.size();
    long[] tp = new long[k];
    long[] predSum = new long[k];
    long[] trueSum = new long[k];
    for (int i = 0; i < truth.size(); i++) {
      Integer t = index.get(truth.get(i));
      if (t == null)
        throw new IllegalArgumentException(
            "true label '" + truth.get(i) + "' is not among the labels " + labels + ".");
      Integer p = predicted.get(i) == null ? null : index.get(predicted.get(i));
      trueSum[t]++;
      if (p == null) continue;
      predSum[p]++;
      if (p.equals(t)) tp[t]++;
    }

    double[] precision = new double[k];
    double[] recall = new double[k];
    double[] f1 = new double[k];
    double[] support = new double[k];
    List<ClassScores> perClass = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      precision[c] = divide(tp[c], predSum[c], zeroDivision);
      recall[c] = divide(tp[c], trueSum[c], zeroDivision);
      f1[c] = divide(2.0 * tp[c], (double) trueSum[c] + predSum[c], zeroDivision);
      support[c] = trueSum[c];
      perClass.add(
          new ClassScores(labels.get(c), precision[c], recall[c], f1[c], (int) trueSum[c]));
    }

    long tpAll = Arrays.stream(tp).sum();
    long predAll = Arrays.stream(predSum).sum();
    long trueAll = Arrays.stream(trueSum).sum();
    AveragedScores micro =
        new AveragedScores(
            divide(tpAll, predAll, zeroDivision),
            divide(tpAll, trueAll, zeroDivision),
            divide(2.0 * tpAll, (double) trueAll + predAll, zeroDivision));
    AveragedScores macro = new AveragedScores(nanMean(precision), nanMean(recall), nanMean(f1));
    AveragedScores weighted =
        new AveragedScores(
            nanAverage(precision, support), nanAverage(recall, support), nanAverage(f1, support));
    return new PrfReport(perClass, micro, macro, weighted);
  }

  private static double divide(double numerator, double denominator, double zeroDivision) {
    return denominator == 0 ? zeroDivision : numerator / denominator;
  }

  /** numpy.nanmean: NaNs count as 0 in the sum (in place) and are left out of the count. */
  private static double nanMean(double[] a) {
    if (a.length == 0) return Double.NaN;
    double[] filled = a.clone();
    int count = 0;
    for (int i = 0; i < filled.length; i++) {
      if (Double.isNaN(filled[i])) filled[i] = 0;
      else count++;
    }
    return count == 0 ? Double.NaN : PairwiseSum.sum(filled) / count;
  }

  /**
   * scikit-learn's _nanaverage with weights: drop NaNs, weight; all-zero weights fall back to the
   * mean.
   */
  private static double nanAverage(double[] a, double[] weights) {
    if (a.length == 0) return Double.NaN;
    int kept = 0;
    for (double v : a) if (!Double.isNaN(v)) kept++;
    if (kept == 0) return Double.NaN;
    double[] values = new double[kept];
    double[] w = new double[kept];
    double[] products = new double[kept];
    for (int i = 0, j = 0; i < a.length; i++) {
      if (Double.isNaN(a[i])) continue;
      values[j] = a[i];
      w[j] = weights[i];
      products[j] = a[i] * weights[i];
      j++;
    }
    double scale = PairwiseSum.sum(w);
    if (scale == 0) return PairwiseSum.sum(values) / kept;
    return PairwiseSum.sum(products) / scale;
  }

  /** numpy sorts strings by code point, which differs from String.compareTo beyond the BMP. */
  static int compareCodePoints(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }
}
