package dev.lorakit.eval.report;

import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.AveragedScores;
import dev.lorakit.eval.metrics.CaseScore;
import dev.lorakit.eval.metrics.ConfusionMatrix;
import dev.lorakit.eval.metrics.RougeScore;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.stats.Alternative;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.stats.ConfidenceInterval;
import dev.lorakit.eval.stats.Wilcoxon;
import dev.lorakit.eval.stats.WilcoxonResult;
import java.util.List;

/**
 * Base model versus tuned model on one task: the primary metric per case for both (paired by case),
 * its mean with a bootstrap 95% interval, the one-sided Wilcoxon signed-rank test of tuned &gt;
 * base on the paired differences, and the secondary scores the study reports.
 *
 * @param task the task's name, e.g. {@code modality}
 * @param metric the primary metric's name, e.g. {@code accuracy} or {@code ROUGE-1 F}
 * @param base per-case values of the base model
 * @param tuned per-case values of the tuned model, same cases in the same order
 * @param baseCi mean of {@code base} with its 95% interval
 * @param tunedCi mean of {@code tuned} with its 95% interval
 * @param wilcoxon the test of tuned - base, alternative "greater"
 * @param basePrf macro precision/recall/F1 of the base model, or null where not reported (regimen)
 * @param tunedPrf the same for the tuned model
 * @param baseRouge mean ROUGE-1 of the base model, or null where not reported (modality, icd10)
 * @param tunedRouge the same for the tuned model
 * @param baseConfusion the base model's confusion matrix, or null (only modality draws one)
 * @param tunedConfusion the tuned model's confusion matrix, or null
 */
public record TaskComparison(
    String task,
    String metric,
    double[] base,
    double[] tuned,
    ConfidenceInterval baseCi,
    ConfidenceInterval tunedCi,
    WilcoxonResult wilcoxon,
    AveragedScores basePrf,
    AveragedScores tunedPrf,
    RougeScore baseRouge,
    RougeScore tunedRouge,
    ConfusionMatrix baseConfusion,
    ConfusionMatrix tunedConfusion) {

  public TaskComparison {
    if (base.length != tuned.length || base.length == 0) {
      throw new IllegalArgumentException(
          "task "
              + task
              + ": base and tuned need the same, non-zero number of cases ("
              + base.length
              + " vs "
              + tuned.length
              + ").");
    }
    base = base.clone();
    tuned = tuned.clone();
  }

  /**
   * Compares two scorings of the same cases: accuracy for modality and ICD-10 (with macro P/R/F1),
   * per-case ROUGE-1 F for the regimen (with mean ROUGE-1 P/R/F).
   *
   * @throws IllegalArgumentException if the two scorings are of different tasks or cases
   */
  public static TaskComparison of(TaskScore base, TaskScore tuned, Bootstrap bootstrap) {
    if (base.task() != tuned.task()) {
      throw new IllegalArgumentException(
          "cannot compare task " + base.task() + " with task " + tuned.task() + ".");
    }
    List<String> baseIds = base.cases().stream().map(CaseScore::id).toList();
    List<String> tunedIds = tuned.cases().stream().map(CaseScore::id).toList();
    if (!baseIds.equals(tunedIds)) {
      throw new IllegalArgumentException(
          "task " + base.task() + ": base and tuned were scored on different cases.");
    }
    boolean regimen = base.task() == Task.REGIMEN;
    double[] b = regimen ? base.rouge1F() : base.correctness();
    double[] t = regimen ? tuned.rouge1F() : tuned.correctness();
    double[] d = new double[b.length];
    for (int i = 0; i < d.length; i++) d[i] = t[i] - b[i];
    WilcoxonResult w = Wilcoxon.defaults().withAlternative(Alternative.GREATER).test(d);
    boolean confusion = base.task() == Task.MODALITY;
    return new TaskComparison(
        base.task().answerField(),
        regimen ? "ROUGE-1 F" : "accuracy",
        b,
        t,
        bootstrap.mean95(b),
        bootstrap.mean95(t),
        w,
        regimen ? null : base.prf().macro(),
        regimen ? null : tuned.prf().macro(),
        regimen ? base.rouge1() : null,
        regimen ? tuned.rouge1() : null,
        confusion ? ConfusionMatrix.of(base) : null,
        confusion ? ConfusionMatrix.of(tuned) : null);
  }
}
