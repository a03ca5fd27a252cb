package dev.lorakit.eval.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.eval.metrics.AveragedScores;
import dev.lorakit.eval.metrics.ConfusionMatrix;
import dev.lorakit.eval.metrics.RougeScore;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a study's report folder, atomically (a temporary folder beside the target, renamed into
 * place):
 *
 * <ul>
 *   <li>{@code report.md} — per task, base vs tuned primary metric with 95% bootstrap intervals,
 *       macro P/R/F1 (modality, ICD-10) or ROUGE-1 (regimen), and the one-sided Wilcoxon p-value
 *       for tuned &gt; base;
 *   <li>{@code report.json} — the same numbers, plus per-case values and confusion matrices;
 *   <li>{@code metrics.png}, {@code confusion_modality_base.png}, {@code
 *       confusion_modality_tuned.png}, {@code loss.png} (when a training log is given);
 *   <li>{@code clinician_review.csv} and {@code clinician_review_key.csv} (when regimens for review
 *       are given).
 * </ul>
 */
public final class ReportWriter {

  private ReportWriter() {}

  /** Writes {@code report} into the folder {@code target}, replacing any earlier report there. */
  public static void write(Path target, StudyReport report) throws IOException {
    if (report.tasks().isEmpty())
      throw new IllegalArgumentException("a report needs at least one task.");
    // Charts are drawn off screen; unless the user chose otherwise, keep AWT from looking for a
    // display.
    // (This must happen before AWT first decides, so it is set here, before any chart is made.)
    if (System.getProperty("java.awt.headless") == null)
      System.setProperty("java.awt.headless", "true");
    AtomicFolder.write(target, folder -> fill(folder, report));
  }

  private static void fill(Path folder, StudyReport report) throws IOException {
    AtomicFolder.writeString(folder.resolve("report.md"), markdown(report));
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    AtomicFolder.writeString(
        folder.resolve("report.json"), json.writeValueAsString(json(report, json)) + "\n");
    Charts.metricBars(
        folder.resolve("metrics.png"),
        report.tasks(),
        report.baselines(),
        report.baseModel(),
        report.tunedModel());
    for (TaskComparison t : report.tasks()) {
      if (t.baseConfusion() != null) {
        Charts.confusion(
            folder.resolve("confusion_" + t.task() + "_base.png"),
            t.baseConfusion(),
            t.task() + ": " + report.baseModel());
      }
      if (t.tunedConfusion() != null) {
        Charts.confusion(
            folder.resolve("confusion_" + t.task() + "_tuned.png"),
            t.tunedConfusion(),
            t.task() + ": " + report.tunedModel());
      }
    }
    if (!report.training().isEmpty()) {
      Charts.lossCurve(folder.resolve("loss.png"), report.training(), report.validation());
    }
    if (!report.review().isEmpty()) ClinicianReview.write(folder, report.review(), report.seed());
  }

  static String markdown(StudyReport r) {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(r.title()).append("\n\n");
    b.append("Base model: ")
        .append(r.baseModel())
        .append("; tuned model: ")
        .append(r.tunedModel())
        .append(".\n\n");
    b.append("| task | n | metric | ")
        .append(r.baseModel())
        .append(" (95% CI) | ")
        .append(r.tunedModel())
        .append(" (95% CI) | secondary (base → tuned) | Wilcoxon p (tuned > base) |\n");
    b.append("| --- | ---: | --- | --- | --- | --- | ---: |\n");
    for (TaskComparison t : r.tasks()) {
      b.append("| ")
          .append(t.task())
          .append(" | ")
          .append(t.base().length)
          .append(" | ")
          .append(t.metric())
          .append(" | ")
          .append(ci(t.baseCi()))
          .append(" | ")
          .append(ci(t.tunedCi()))
          .append(" | ")
          .append(secondary(t))
          .append(" | ")
          .append(p(t.wilcoxon().pvalue()))
          .append(" |\n");
    }
    b.append(
            "\nIntervals: percentile bootstrap of the mean over cases. Wilcoxon: signed-rank test on the per-case ")
        .append(
            "differences tuned − base, one-sided (scipy's conventions; method shown in report.json).\n");
    for (TaskComparison t : r.tasks()) {
      String warning = fewCasesWarning(t.task(), t.base().length);
      if (warning != null) b.append("\n**Warning:** ").append(warning).append('\n');
    }
    if (!r.baselines().isEmpty()) {
      b.append("\n## Baseline: one answer for every case\n\n")
          .append(
              "The reference answer met most often among these test cases, given for all of them (majority class, ")
          .append(
              "most frequent code, template regimen). Base and tuned mean something only above it.\n\n")
          .append(
              "| task | constant answer | metric | score (95% CI) | macro P/R/F1 |\n| --- | --- | --- | --- | --- |\n");
      for (Baseline x : r.baselines()) {
        b.append("| ")
            .append(x.task())
            .append(" | ")
            .append(x.answer().replace("|", "\\|"))
            .append(" | ")
            .append(x.metric())
            .append(" | ")
            .append(ci(x.ci()))
            .append(" | ")
            .append(
                x.prf() == null
                    ? ""
                    : f(x.prf().precision())
                        + " / "
                        + f(x.prf().recall())
                        + " / "
                        + f(x.prf().f1()))
            .append(" |\n");
      }
    }
    if (!r.provenance().isEmpty()) {
      b.append("\n## How this report was made\n\n| | |\n| --- | --- |\n");
      r.provenance()
          .forEach(
              (k, v) ->
                  b.append("| ")
                      .append(k)
                      .append(" | ")
                      .append(v.replace("|", "\\|"))
                      .append(" |\n"));
    }
    if (!r.training().isEmpty()) b.append("\n![training loss](loss.png)\n");
    b.append("\n![base vs tuned](metrics.png)\n");
    for (TaskComparison t : r.tasks()) {
      if (t.tunedConfusion() != null) {
        b.append("\n![")
            .append(t.task())
            .append(" confusion, base](confusion_")
            .append(t.task())
            .append("_base.png)\n");
        b.append("![")
            .append(t.task())
            .append(" confusion, tuned](confusion_")
            .append(t.task())
            .append("_tuned.png)\n");
      }
    }
    if (!r.review().isEmpty()) {
      b.append("\nClinician review: fill in `")
          .append(ClinicianReview.SHEET)
          .append("` (acceptable: yes/no), then run ")
          .append("`lorakit review-summary --sheet ")
          .append(ClinicianReview.SHEET)
          .append(" --key ")
          .append(ClinicianReview.KEY)
          .append("`.\n");
    }
    return b.toString();
  }

  /** Fewer cases than this give a bootstrap interval too coarse to trust. */
  public static final int FEW_CASES = 10;

  /** A sentence warning that a task's interval rests on too few cases, or null when it does not. */
  public static String fewCasesWarning(String task, int n) {
    if (n >= FEW_CASES) return null;
    return task
        + " has only "
        + n
        + (n == 1 ? " case" : " cases")
        + " (fewer than "
        + FEW_CASES
        + "): its "
        + "interval is degenerate or nearly so, and its p-value says little.";
  }

  private static String secondary(TaskComparison t) {
    if (t.baseRouge() != null) {
      return "ROUGE-1 P "
          + f(t.baseRouge().precision())
          + " → "
          + f(t.tunedRouge().precision())
          + ", R "
          + f(t.baseRouge().recall())
          + " → "
          + f(t.tunedRouge().recall())
          + ", F "
          + f(t.baseRouge().fmeasure())
          + " → "
          + f(t.tunedRouge().fmeasure());
    }
    if (t.basePrf() != null) {
      return "macro P "
          + f(t.basePrf().precision())
          + " → "
          + f(t.tunedPrf().precision())
          + ", R "
          + f(t.basePrf().recall())
          + " → "
          + f(t.tunedPrf().recall())
          + ", F1 "
          + f(t.basePrf().f1())
          + " → "
          + f(t.tunedPrf().f1());
    }
    return "";
  }

  private static String ci(ConfidenceInterval c) {
    return f(c.estimate()) + " [" + f(c.lower()) + ", " + f(c.upper()) + "]";
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String p(double v) {
    if (Double.isNaN(v)) return "n/a";
    return v < 0.001
        ? String.format(Locale.ROOT, "%.2e", v)
        : String.format(Locale.ROOT, "%.4f", v);
  }

  static ObjectNode json(StudyReport r, ObjectMapper m) {
    ObjectNode o = m.createObjectNode();
    o.put("title", r.title());
    o.put("base_model", r.baseModel());
    o.put("tuned_model", r.tunedModel());
    ObjectNode provenance = o.putObject("provenance");
    r.provenance().forEach(provenance::put);
    ArrayNode baselines = o.putArray("baselines");
    for (Baseline x : r.baselines()) {
      ObjectNode n = baselines.addObject();
      n.put("task", x.task());
      n.put("metric", x.metric());
      n.put("answer", x.answer());
      ci(n.putObject("score"), x.ci());
      if (x.prf() != null) prf(n.putObject("macro"), x.prf());
    }
    ArrayNode tasks = o.putArray("tasks");
    for (TaskComparison t : r.tasks()) {
      ObjectNode n = tasks.addObject();
      n.put("task", t.task());
      n.put("metric", t.metric());
      n.put("n", t.base().length);
      ci(n.putObject("base"), t.baseCi());
      ci(n.putObject("tuned"), t.tunedCi());
      ObjectNode w = n.putObject("wilcoxon");
      w.put("alternative", "greater");
      w.put("statistic", t.wilcoxon().statistic());
      number(w, "pvalue", t.wilcoxon().pvalue());
      w.put("method", t.wilcoxon().method().spelling());
      if (t.basePrf() != null) {
        prf(n.putObject("base_macro"), t.basePrf());
        prf(n.putObject("tuned_macro"), t.tunedPrf());
      }
      if (t.baseRouge() != null) {
        rouge(n.putObject("base_rouge1"), t.baseRouge());
        rouge(n.putObject("tuned_rouge1"), t.tunedRouge());
      }
      if (t.baseConfusion() != null) confusion(n.putObject("base_confusion"), t.baseConfusion());
      if (t.tunedConfusion() != null) confusion(n.putObject("tuned_confusion"), t.tunedConfusion());
      ArrayNode base = n.putArray("base_per_case");
      for (double v : t.base()) base.add(v);
      ArrayNode tuned = n.putArray("tuned_per_case");
      for (double v : t.tuned()) tuned.add(v);
    }
    return o;
  }

  private static void ci(ObjectNode o, ConfidenceInterval c) {
    number(o, "mean", c.estimate());
    number(o, "ci_lower", c.lower());
    number(o, "ci_upper", c.upper());
    o.put("ci_level", c.level());
  }

  private static void prf(ObjectNode o, AveragedScores s) {
    number(o, "precision", s.precision());
    number(o, "recall", s.recall());
    number(o, "f1", s.f1());
  }

  private static void rouge(ObjectNode o, RougeScore s) {
    o.put("precision", s.precision());
    o.put("recall", s.recall());
    o.put("fmeasure", s.fmeasure());
  }

  private static void confusion(ObjectNode o, ConfusionMatrix c) {
    ArrayNode rows = o.putArray("true");
    c.rowLabels().forEach(rows::add);
    ArrayNode cols = o.putArray("predicted");
    c.columnLabels().forEach(cols::add);
    ArrayNode counts = o.putArray("counts");
    for (long[] row : c.counts()) {
      ArrayNode a = counts.addArray();
      for (long v : row) a.add(v);
    }
  }

  /** JSON has no NaN: write null. */
  private static void number(ObjectNode o, String name, double v) {
    if (Double.isFinite(v)) o.put(name, v);
    else o.putNull(name);
  }
}
