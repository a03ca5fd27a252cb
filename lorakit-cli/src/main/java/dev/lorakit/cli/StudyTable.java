package dev.lorakit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.report.Baseline;
import dev.lorakit.eval.report.ReportWriter;
import dev.lorakit.eval.report.TaskComparison;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The study's table for the console: per task the primary metric of both models with 95% intervals,
 * the secondary scores and the one-sided Wilcoxon p-value.
 */
final class StudyTable {

  private StudyTable() {}

  static String format(List<TaskComparison> tasks) {
    return format(tasks, List.of());
  }

  /**
   * The table, then each task's constant-answer baseline and a warning for each task with too few
   * cases.
   */
  static String format(List<TaskComparison> tasks, List<Baseline> baselines) {
    StringBuilder b = new StringBuilder();
    String head =
        String.format(
            Locale.ROOT,
            "%-9s %4s  %-10s %-22s %-22s %-30s %s%n",
            "task",
            "n",
            "metric",
            "base [95% CI]",
            "tuned [95% CI]",
            "secondary (base -> tuned)",
            "Wilcoxon p (tuned > base)");
    b.append(head).append("-".repeat(head.length() - 1)).append('\n');
    for (TaskComparison t : tasks) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-9s %4d  %-10s %-22s %-22s %-30s %s%n",
              t.task(),
              t.base().length,
              t.metric(),
              ci(t.baseCi()),
              ci(t.tunedCi()),
              secondary(t),
              p(t.wilcoxon().pvalue())));
    }
    for (Baseline x : baselines) b.append(baselineLine(x));
    for (TaskComparison t : tasks) {
      String warning = ReportWriter.fewCasesWarning(t.task(), t.base().length);
      if (warning != null) b.append("Warning: ").append(warning).append('\n');
    }
    return b.toString();
  }

  private static String baselineLine(Baseline x) {
    return String.format(
        Locale.ROOT,
        "%-9s baseline: '%s' for every case, %s %s%s%n",
        x.task(),
        x.answer().length() > 40 ? x.answer().substring(0, 37) + "..." : x.answer(),
        x.metric(),
        ci(x.ci()),
        x.prf() == null ? "" : String.format(Locale.ROOT, ", macro F1 %.2f", x.prf().f1()));
  }

  private static String secondary(TaskComparison t) {
    if (t.basePrf() != null) {
      return String.format(
          Locale.ROOT,
          "P/R/F1 %.2f/%.2f/%.2f -> %.2f/%.2f/%.2f",
          t.basePrf().precision(),
          t.basePrf().recall(),
          t.basePrf().f1(),
          t.tunedPrf().precision(),
          t.tunedPrf().recall(),
          t.tunedPrf().f1());
    }
    if (t.baseRouge() != null) {
      return String.format(
          Locale.ROOT,
          "ROUGE-1 P/R %.2f/%.2f -> %.2f/%.2f",
          t.baseRouge().precision(),
          t.baseRouge().recall(),
          t.tunedRouge().precision(),
          t.tunedRouge().recall());
    }
    return "";
  }

  private static String ci(ConfidenceInterval c) {
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", c.estimate(), c.lower(), c.upper());
  }

  static String p(double v) {
    if (Double.isNaN(v)) return "n/a";
    return v < 0.001
        ? String.format(Locale.ROOT, "%.2e", v)
        : String.format(Locale.ROOT, "%.4f", v);
  }

  /**
   * For one model's scores on a task: its constant-answer baseline, printed and put into {@code
   * json}, and the warning when there are too few cases.
   */
  static void baselineAndWarning(TaskScore s, Bootstrap bootstrap, ObjectNode json, PrintWriter o) {
    Baseline x = Baseline.of(s, bootstrap);
    ObjectNode n = json.putObject("baseline");
    n.put("answer", x.answer());
    n.put("metric", x.metric());
    n.put("mean", x.ci().estimate());
    n.putArray("ci95").add(x.ci().lower()).add(x.ci().upper());
    o.print(baselineLine(x));
    String warning = ReportWriter.fewCasesWarning(x.task(), s.n());
    if (warning != null) o.println("Warning: " + warning);
  }
}
