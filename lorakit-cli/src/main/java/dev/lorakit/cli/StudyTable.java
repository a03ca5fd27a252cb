package dev.lorakit.cli;

import dev.lorakit.eval.report.TaskComparison;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.util.List;
import java.util.Locale;

/** The study's table for the console: per task the primary metric of both models with 95% intervals, the secondary
 * scores and the one-sided Wilcoxon p-value. */
final class StudyTable {

  private StudyTable() {}

  static String format(List<TaskComparison> tasks) {
    StringBuilder b = new StringBuilder();
    String head = String.format(Locale.ROOT, "%-9s %4s  %-10s %-22s %-22s %-30s %s%n", "task", "n", "metric",
        "base [95% CI]", "tuned [95% CI]", "secondary (base -> tuned)", "Wilcoxon p (tuned > base)");
    b.append(head).append("-".repeat(head.length() - 1)).append('\n');
    for (TaskComparison t : tasks) {
      b.append(String.format(Locale.ROOT, "%-9s %4d  %-10s %-22s %-22s %-30s %s%n", t.task(), t.base().length,
          t.metric(), ci(t.baseCi()), ci(t.tunedCi()), secondary(t), p(t.wilcoxon().pvalue())));
    }
    return b.toString();
  }

  private static String secondary(TaskComparison t) {
    if (t.basePrf() != null) {
      return String.format(Locale.ROOT, "P/R/F1 %.2f/%.2f/%.2f -> %.2f/%.2f/%.2f", t.basePrf().precision(),
          t.basePrf().recall(), t.basePrf().f1(), t.tunedPrf().precision(), t.tunedPrf().recall(), t.tunedPrf().f1());
    }
    if (t.baseRouge() != null) {
      return String.format(Locale.ROOT, "ROUGE-1 P/R %.2f/%.2f -> %.2f/%.2f", t.baseRouge().precision(),
          t.baseRouge().recall(), t.tunedRouge().precision(), t.tunedRouge().recall());
    }
    return "";
  }

  private static String ci(ConfidenceInterval c) {
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", c.estimate(), c.lower(), c.upper());
  }

  static String p(double v) {
    if (Double.isNaN(v)) return "n/a";
    return v < 0.001 ? String.format(Locale.ROOT, "%.2e", v) : String.format(Locale.ROOT, "%.4f", v);
  }
}
