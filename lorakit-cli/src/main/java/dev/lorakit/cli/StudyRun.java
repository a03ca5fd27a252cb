package dev.lorakit.cli;

import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.report.Baseline;
import dev.lorakit.eval.report.ReportWriter;
import dev.lorakit.eval.report.ReviewItem;
import dev.lorakit.eval.report.StudyReport;
import dev.lorakit.eval.report.TrainingPoint;
import dev.lorakit.eval.run.AnswerGenerator;
import dev.lorakit.eval.run.DecoderAnswerGenerator;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Evaluates a base model and its adapter on test cases and writes the report folder: shared by eval
 * and demo.
 */
final class StudyRun {

  /** How many regimens of each model go on the clinician review sheet. */
  static final int REVIEW_CASES = 20;

  private StudyRun() {}

  /**
   * Evaluates {@code model} without and, when {@code adapter} is not null, with the adapter, every
   * answer going through {@code journal} (when not null) as it is made; when there is a comparison,
   * writes the report's files into {@code report} (with the constant-answer baselines, {@code
   * provenance} and both models' answers in {@value AnswerOutput#FILE}) and returns the result.
   */
  static Evaluation.Result evaluate(
      LoraModel model,
      LoraWeights adapter,
      List<Case> test,
      List<Task> tasks,
      PromptTemplates templates,
      Map<Task, Integer> maxNewTokens,
      long seed,
      OutputFolder report,
      String title,
      List<TrainingPoint> training,
      List<TrainingPoint> validation,
      Map<String, String> provenance,
      AnswerJournal journal,
      PrintWriter err,
      boolean terminal)
      throws IOException {
    Decoder base = model.decoder();
    try (Decoder tuned =
        adapter == null
            ? null
            : new Decoder(base.config(), base.weights(), base.backend(), base.precision())) {
      if (tuned != null) tuned.setLora(adapter);
      ProgressBar bar = new ProgressBar(err, terminal, "eval ", 10);
      long start = System.nanoTime();
      Evaluation evaluation =
          new Evaluation(templates, maxNewTokens, new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, seed));
      AnswerGenerator baseAnswers = new DecoderAnswerGenerator(base, model.tokenizer());
      AnswerGenerator tunedAnswers =
          tuned == null ? null : new DecoderAnswerGenerator(tuned, model.tokenizer());
      if (journal != null) {
        baseAnswers =
            journal.wrap(
                tuned == null && adapter == null && base.lora() != null ? "adapted" : "base",
                baseAnswers);
        if (tunedAnswers != null) tunedAnswers = journal.wrap("tuned", tunedAnswers);
      }
      Evaluation.Result result =
          evaluation.run(
              test,
              tasks,
              baseAnswers,
              tunedAnswers,
              (done, total) ->
                  bar.update(
                      done,
                      total,
                      String.format(
                          Locale.ROOT,
                          "answers, %.1f/s",
                          done / Math.max(1e-9, (System.nanoTime() - start) / 1e9))));
      if (!result.comparisons().isEmpty()) {
        // Written aside, then each file renamed into the folder: whatever else the folder holds
        // stays.
        Path temp = report.newTemporaryFolder("report").resolve("report");
        ReportWriter.write(
            temp,
            new StudyReport(
                title,
                "base",
                "LoRA",
                result.comparisons(),
                training,
                validation,
                reviewItems(test, result),
                seed,
                baselines(result, seed),
                provenance));
        TextFiles.writeAtomically(
            temp.resolve(AnswerOutput.FILE),
            AnswerOutput.jsonl(result.base(), "base") + AnswerOutput.jsonl(result.tuned(), "LoRA"));
        report.adopt(temp);
      }
      return result;
    }
  }

  /**
   * Per task, what answering every case with the commonest reference scores (see {@link Baseline}).
   */
  static List<Baseline> baselines(Evaluation.Result r, long seed) {
    Bootstrap bootstrap = new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, seed);
    return r.base().stream()
        .filter(a -> a.score() != null)
        .map(a -> Baseline.of(a.score(), bootstrap))
        .toList();
  }

  private static List<ReviewItem> reviewItems(List<Case> test, Evaluation.Result r) {
    List<ReviewItem> items = new ArrayList<>();
    for (int i = 0; i < r.base().size(); i++) {
      if (r.base().get(i).task() != Task.REGIMEN) continue;
      Map<String, String> base = r.base().get(i).answers();
      Map<String, String> tuned = r.tuned().get(i).answers();
      for (Case c : test.subList(0, Math.min(REVIEW_CASES, test.size()))) {
        items.add(new ReviewItem(c.id(), c.diagnosis(), c.regimen(), base.get(c.id()), "base"));
        items.add(new ReviewItem(c.id(), c.diagnosis(), c.regimen(), tuned.get(c.id()), "LoRA"));
      }
    }
    return items;
  }
}
