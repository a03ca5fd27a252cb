package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.run.DecoderAnswerGenerator;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code answers.jsonl}, the file every evaluation writes: one line {@code {"id", "task",
 * "answer"}} per case and task (with {@code "model"} when two models answered), which {@code
 * lorakit score --predictions} reads back.
 */
final class AnswerOutput {

  /** The file's name inside an evaluation's output folder. */
  static final String FILE = "answers.jsonl";

  private static final ObjectMapper JSON = new ObjectMapper();

  private AnswerOutput() {}

  /**
   * The lines of {@code answers}, each with {@code "model": model} unless {@code model} is null.
   */
  static String jsonl(List<Evaluation.TaskAnswers> answers, String model) {
    StringBuilder b = new StringBuilder();
    for (Evaluation.TaskAnswers a : answers) {
      for (Map.Entry<String, String> e : a.answers().entrySet()) {
        ObjectNode line = JSON.createObjectNode();
        line.put("id", e.getKey());
        line.put("task", a.task().answerField());
        if (model != null) line.put("model", model);
        line.put("answer", e.getValue());
        b.append(line).append('\n');
      }
    }
    return b.toString();
  }

  /**
   * Answers unlabelled cases with the model as it is (with its adapter, if set) and writes {@code
   * out/answers.jsonl}; there is nothing to score.
   */
  static void answerOnly(
      LoraModel m,
      List<Case> cases,
      List<Task> tasks,
      PromptTemplates templates,
      Map<Task, Integer> limits,
      long seed,
      Path data,
      Path out,
      AnswerJournal journal,
      PrintWriter o,
      PrintWriter err,
      boolean terminal)
      throws IOException {
    ProgressBar bar = new ProgressBar(err, terminal, "eval ", 10);
    long start = System.nanoTime();
    List<Evaluation.TaskAnswers> answers =
        new Evaluation(templates, limits, new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, seed))
            .answerOnly(
                cases,
                tasks,
                journal == null
                    ? new DecoderAnswerGenerator(m.decoder(), m.tokenizer())
                    : journal.wrap(
                        m.decoder().lora() != null ? "adapted" : "base",
                        new DecoderAnswerGenerator(m.decoder(), m.tokenizer())),
                (done, total) ->
                    bar.update(
                        done,
                        total,
                        String.format(
                            Locale.ROOT,
                            "answers, %.1f/s",
                            done / Math.max(1e-9, (System.nanoTime() - start) / 1e9))));
    Files.createDirectories(out);
    TextFiles.writeAtomically(out.resolve(FILE), jsonl(answers, null));
    o.printf(
        Locale.ROOT,
        "Answered %d cases x %d tasks; %s has no reference answers, so nothing is scored.%n",
        cases.size(),
        tasks.size(),
        data.getFileName());
    o.printf("Answers: %s%n", out.resolve(FILE));
  }
}
