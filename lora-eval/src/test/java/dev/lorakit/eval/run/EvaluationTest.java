package dev.lorakit.eval.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.report.ReportWriter;
import dev.lorakit.eval.report.StudyReport;
import dev.lorakit.eval.report.TaskComparison;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationTest {

  private static final List<Case> CASES = new SyntheticCases(3, 0).generate(60);
  private static final PromptTemplates TEMPLATES = PromptTemplates.defaults();

  /**
   * Knows the right answer of every prompt, and gives it for the cases {@code rightFor} accepts.
   */
  private static AnswerGenerator oracle(
      IntPredicate rightFor, List<String> prompts, List<Integer> limits) {
    Map<String, String[]> byPrompt = new HashMap<>();
    for (int i = 0; i < CASES.size(); i++) {
      Case c = CASES.get(i);
      for (Task t : Task.values()) {
        byPrompt.put(
            TEMPLATES.prompt(t, c.diagnosis()), new String[] {t.answer(c), Integer.toString(i)});
      }
    }
    return (prompt, maxNewTokens) -> {
      prompts.add(prompt);
      limits.add(maxNewTokens);
      String[] known = byPrompt.get(prompt);
      return rightFor.test(Integer.parseInt(known[1])) ? known[0] : "I am not sure.";
    };
  }

  @Test
  void aTunedModelThatIsRightMoreOftenWinsEveryTaskSignificantly(@TempDir Path dir)
      throws IOException {
    List<String> prompts = new ArrayList<>();
    List<Integer> limits = new ArrayList<>();
    AnswerGenerator base = oracle(i -> i % 10 == 0, prompts, limits);
    AnswerGenerator tuned = oracle(i -> i % 10 != 9, prompts, limits);
    List<Task> tasks = List.of(Task.REGIMEN, Task.MODALITY, Task.ICD10);
    int[] progress = {0, 0};
    Evaluation.Result r =
        new Evaluation(TEMPLATES, Evaluation.defaultMaxNewTokens(), new Bootstrap(500, 1))
            .run(
                CASES,
                tasks,
                base,
                tuned,
                (done, total) -> {
                  progress[0] = done;
                  progress[1] = total;
                });
    assertEquals(
        CASES.size() * 3 * 2, prompts.size(), "every case asked of both models for every task");
    assertEquals(progress[1], progress[0]);
    assertEquals(CASES.size() * 6, progress[1]);
    assertEquals(
        List.of(40, 4, 8),
        List.of(limits.get(0), limits.get(CASES.size() * 2), limits.get(CASES.size() * 4)));
    assertEquals(3, r.comparisons().size());
    for (TaskComparison c : r.comparisons()) {
      // base right on 6 of 60 cases, tuned on 54: the means and the one-sided test must say so.
      double baseMean = c.baseCi().estimate();
      double tunedMean = c.tunedCi().estimate();
      assertTrue(tunedMean > baseMean + 0.5, c.task() + ": " + baseMean + " vs " + tunedMean);
      assertTrue(c.wilcoxon().pvalue() < 1e-6, c.task() + " p = " + c.wilcoxon().pvalue());
      assertTrue(c.tunedCi().lower() <= tunedMean && tunedMean <= c.tunedCi().upper());
    }
    TaskComparison modality = r.comparisons().get(1);
    assertEquals("accuracy", modality.metric());
    assertEquals(0.9, modality.tunedCi().estimate(), 1e-12);
    assertEquals(0.1, modality.baseCi().estimate(), 1e-12);
    assertEquals("ROUGE-1 F", r.comparisons().get(0).metric());
    String someId = CASES.get(9).id();
    assertEquals("I am not sure.", r.tuned().get(2).answers().get(someId));

    // The runner's result is what the report writer takes: the study's table, one row per task.
    Path report = dir.resolve("report");
    ReportWriter.write(
        report,
        new StudyReport(
            "Fake-generator run", "base", "LoRA", r.comparisons(), List.of(), List.of(), 1));
    String md = Files.readString(report.resolve("report.md"));
    System.out.println(md);
    for (Task t : tasks) {
      assertTrue(md.contains("| " + t + " | " + CASES.size() + " |"), t + " row in:\n" + md);
    }
  }

  @Test
  void equalModelsGiveNoEvidenceAndOneModelNeedsNoComparison() {
    AnswerGenerator same = oracle(i -> i % 2 == 0, new ArrayList<>(), new ArrayList<>());
    Evaluation e = new Evaluation(TEMPLATES, Map.of(), new Bootstrap(200, 2));
    Evaluation.Result r = e.run(CASES, List.of(Task.MODALITY), same, same, null);
    double p = r.comparisons().get(0).wilcoxon().pvalue();
    assertTrue(Double.isNaN(p) || p >= 0.5, "identical answers: p = " + p);
    Evaluation.Result single = e.run(CASES, List.of(Task.ICD10), same, null, null);
    assertTrue(single.comparisons().isEmpty());
    assertTrue(single.tuned().isEmpty());
    assertEquals(0.5, single.base().get(0).score().accuracy(), 1e-12);
    assertThrows(
        LorakitInputException.class, () -> e.run(List.of(), List.of(Task.ICD10), same, null, null));
  }
}
