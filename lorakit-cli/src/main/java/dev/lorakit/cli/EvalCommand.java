package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.report.TrainingLog;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.stats.ConfidenceInterval;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lorakit eval}: the task suite on a test file, for one model or base vs tuned. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Answers every test case for each task with greedy decoding and scores the answers: ROUGE-1 for the regimen, "
            + "accuracy and macro P/R/F1 for modality and ICD-10, with bootstrap 95%% intervals.",
        "With --adapter and --compare-base, both the base model and the adapted model answer, and the report folder "
            + "OUT gets report.md, report.json, PNG charts and a clinician review sheet, with the one-sided Wilcoxon "
            + "signed-rank test of tuned > base per task. Otherwise OUT gets answers.jsonl and scores.json."})
final class EvalCommand implements Callable<Integer> {

  @Mixin ModelOptions modelOptions;

  @Option(names = "--compare-base",
      description = "Also evaluate the base model without the adapter and compare (default: ${DEFAULT-VALUE}).")
  boolean compareBase;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "Test cases, JSONL.")
  Path data;

  @Option(names = "--task", defaultValue = "all", paramLabel = "TASK",
      description = "regimen, modality, icd10 or all (default: ${DEFAULT-VALUE}).")
  String task;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The report folder to write.")
  Path out;

  @Option(names = "--templates", paramLabel = "FILE",
      description = "Prompt templates, as for train; use the same ones the adapter was trained with.")
  Path templates;

  @Option(names = "--max-new-tokens", paramLabel = "N",
      description = "Answer length limit for every task (default: modality 4, icd10 8, regimen 40 tokens).")
  Integer maxNewTokens;

  @Option(names = "--training-log", paramLabel = "FILE",
      description = "A training_log.jsonl whose loss curve goes into the report (default: the adapter's own, if any).")
  Path trainingLog;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED",
      description = "Seed of the bootstrap and the review sheet's order (default: ${DEFAULT-VALUE}).")
  long seed;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Task> tasks = Cli.tasks(task);
    if (compareBase && modelOptions.adapter == null) {
      throw new IllegalArgumentException("--compare-base needs --adapter (the tuned model to compare with the base).");
    }
    CaseFile.Contents contents = CaseFile.readToAnswer(data, tasks);
    List<Case> cases = contents.cases();
    if (!contents.labelled() && compareBase) {
      throw new IllegalArgumentException("--compare-base scores answers against references, but " + data
          + " holds none; leave --compare-base out to only write the answers.");
    }
    Map<Task, Integer> limits = Evaluation.defaultMaxNewTokens();
    if (maxNewTokens != null) {
      if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1.");
      limits = new EnumMap<>(Task.class);
      for (Task t : Task.values()) limits.put(t, maxNewTokens);
    }
    try (Backend backend = modelOptions.backend(err);
        LoadedModel m = modelOptions.open(backend);
        LoraWeights adapter = modelOptions.adapter(m, backend)) {
      boolean terminal = ProgressBar.stderrIsTerminal();
      if (!contents.labelled()) {
        if (adapter != null) m.decoder().setLora(adapter);
        AnswerOutput.answerOnly(m, cases, tasks, Cli.templates(templates), limits, seed, data, out, o, err, terminal);
        m.decoder().setLora(null);
      } else if (compareBase) {
        Path log = trainingLog != null ? trainingLog : modelOptions.adapter.resolve(FineTune.LOG_FILE);
        boolean hasLog = Files.isRegularFile(log);
        Evaluation.Result r = StudyRun.evaluate(m, adapter, cases, tasks, Cli.templates(templates), limits, seed, out,
            "lorakit eval: " + modelOptions.model.getFileName() + " vs " + modelOptions.adapter.getFileName(),
            hasLog ? TrainingLog.read(log) : List.of(), hasLog ? TrainingLog.readValidation(log) : List.of(),
            new Provenance().models(modelOptions.model, modelOptions.adapter).data("test data", data)
                .prompts(templates, limits, tasks).finish(seed), err, terminal);
        o.print(StudyTable.format(r.comparisons(), StudyRun.baselines(r, seed)));
        o.printf("%nReport: %s%n", out.resolve("report.md"));
      } else {
        if (adapter != null) m.decoder().setLora(adapter);
        Evaluation.Result r = StudyRun.evaluate(m, null, cases, tasks, Cli.templates(templates), limits, seed, out,
            "", List.of(), List.of(), Map.of(), err, terminal);
        m.decoder().setLora(null);
        writeSingle(r, new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, seed), o);
      }
      o.flush();
      return 0;
    }
  }

  /** One model's scores: printed, and written as answers.jsonl and scores.json. */
  private void writeSingle(Evaluation.Result r, Bootstrap bootstrap, PrintWriter o) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Files.createDirectories(out);
    ObjectNode scores = json.createObjectNode();
    o.printf("%-9s %4s  %-24s %s%n", "task", "n", "accuracy [95% CI]", "secondary");
    for (Evaluation.TaskAnswers a : r.base()) {
      TaskScore s = a.score();
      ConfidenceInterval acc = bootstrap.mean95(s.correctness());
      ConfidenceInterval rouge = bootstrap.mean95(s.rouge1F());
      ObjectNode t = scores.putObject(a.task().answerField());
      t.put("n", s.n());
      t.put("accuracy", acc.estimate());
      ArrayNode ci = t.putArray("accuracy_ci95");
      ci.add(acc.lower());
      ci.add(acc.upper());
      t.put("rouge1_f", rouge.estimate());
      ArrayNode rci = t.putArray("rouge1_f_ci95");
      rci.add(rouge.lower());
      rci.add(rouge.upper());
      t.put("macro_precision", s.prf().macro().precision());
      t.put("macro_recall", s.prf().macro().recall());
      t.put("macro_f1", s.prf().macro().f1());
      String secondary = a.task() == Task.REGIMEN
          ? String.format(Locale.ROOT, "ROUGE-1 F %.3f [%.3f, %.3f]", rouge.estimate(), rouge.lower(), rouge.upper())
          : String.format(Locale.ROOT, "macro P/R/F1 %.2f/%.2f/%.2f", s.prf().macro().precision(),
              s.prf().macro().recall(), s.prf().macro().f1());
      o.printf(Locale.ROOT, "%-9s %4d  %.3f [%.3f, %.3f]     %s%n", a.task().answerField(), s.n(), acc.estimate(),
          acc.lower(), acc.upper(), secondary);
      StudyTable.baselineAndWarning(s, bootstrap, t, o);
    }
    TinyModel.writeText(out.resolve(AnswerOutput.FILE), AnswerOutput.jsonl(r.base(), null));
    TinyModel.writeText(out.resolve("scores.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(scores) + "\n");
    o.printf("%nAnswers: %s; scores: %s%n", out.resolve("answers.jsonl"), out.resolve("scores.json"));
  }
}
