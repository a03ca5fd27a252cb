package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.report.TrainingLog;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.eval.stats.Bootstrap;
import dev.lorakit.eval.stats.ConfidenceInterval;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
          + "signed-rank test of tuned > base per task. Otherwise OUT gets answers.jsonl and scores.json."
    })
final class EvalCommand implements Callable<Integer> {

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--compare-base",
      description =
          "Also evaluate the base model without the adapter and compare (default: ${DEFAULT-VALUE}).")
  boolean compareBase;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "FILE",
      description = "Test cases, JSONL.")
  Path data;

  @Option(
      names = "--task",
      defaultValue = "all",
      paramLabel = "TASK",
      description = "regimen, modality, icd10 or all (default: ${DEFAULT-VALUE}).")
  String task;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "The report folder to write.")
  Path out;

  @Option(
      names = "--templates",
      paramLabel = "FILE",
      description =
          "Prompt templates, as for train; use the same ones the adapter was trained with.")
  Path templates;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      description =
          "Answer length limit for every task (default: modality 4, icd10 8, regimen 40 tokens).")
  Integer maxNewTokens;

  @Option(
      names = "--training-log",
      paramLabel = "FILE",
      description =
          "A training_log.jsonl whose loss curve goes into the report (default: the adapter's own, if any).")
  Path trainingLog;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "SEED",
      description =
          "Seed of the bootstrap and the review sheet's order (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--skip-too-long",
      description =
          "Leave out the cases whose prompt and answer do not fit in the model's context, instead of "
              + "refusing to start (default: ${DEFAULT-VALUE}).")
  boolean skipTooLong;

  @Option(
      names = "--resume",
      description =
          "Continue an interrupted evaluation into the same --out: the answers it made (kept in "
              + AnswerJournal.FILE
              + ") are reused (default: ${DEFAULT-VALUE}).")
  boolean resume;

  @Option(
      names = "--overwrite",
      description =
          "Write into an --out that holds files lorakit did not write; only eval's own files there are "
              + "replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Task> tasks = Cli.tasks(task);
    Cli.precision(modelOptions.precision);
    if (compareBase && modelOptions.adapter == null) {
      throw new LorakitInputException(
          "--compare-base needs --adapter (the tuned model to compare with the base).");
    }
    Map<Task, Integer> limits = Evaluation.defaultMaxNewTokens();
    if (maxNewTokens != null) {
      if (maxNewTokens < 1) throw new LorakitInputException("--max-new-tokens must be at least 1.");
      limits = new EnumMap<>(Task.class);
      for (Task t : Task.values()) limits.put(t, maxNewTokens);
    }
    Cli.requireFolder(modelOptions.model, "--model");
    if (modelOptions.adapter != null) Cli.requireFolder(modelOptions.adapter, "--adapter");
    Cli.requireFile(data, "--data");
    Cli.requireFile(templates, "--templates");
    Cli.requireFile(trainingLog, "--training-log");
    CaseFile.Contents contents = CaseFile.readToAnswer(data, tasks);
    List<Case> cases = contents.cases();
    if (cases.isEmpty()) throw new LorakitInputException(data + " holds no cases.");
    if (!contents.labelled() && compareBase) {
      throw new LorakitInputException(
          "--compare-base scores answers against references, but "
              + data
              + " holds none; leave --compare-base out to only write the answers.");
    }
    PromptTemplates prompts = Cli.templates(templates);
    // Everything a user can get wrong is checked before the first answer: the folder first, the
    // model next.
    try (OutputFolder folder = OutputFolder.claim(out, "--out", "eval", overwrite);
        Backend backend = modelOptions.backend(err);
        LoraModel m = modelOptions.open(backend);
        LoraWeights adapter = modelOptions.adapter(m, backend)) {
      cases = fitting(cases, tasks, prompts, limits, m, err);
      String models =
          modelOptions.model.toAbsolutePath().normalize()
              + (modelOptions.adapter == null
                  ? ""
                  : " with " + modelOptions.adapter.toAbsolutePath().normalize());
      boolean terminal = ProgressBar.stderrIsTerminal();
      try (AnswerJournal journal =
          AnswerJournal.open(folder.resolve(AnswerJournal.FILE), resume, models)) {
        if (!contents.labelled()) {
          if (adapter != null) m.decoder().setLora(adapter);
          AnswerOutput.answerOnly(
              m, cases, tasks, prompts, limits, seed, data, out, journal, o, err, terminal);
          m.decoder().setLora(null);
        } else if (compareBase) {
          Path log =
              trainingLog != null ? trainingLog : modelOptions.adapter.resolve(FineTune.LOG_FILE);
          boolean hasLog = Files.isRegularFile(log);
          Evaluation.Result r =
              StudyRun.evaluate(
                  m,
                  adapter,
                  cases,
                  tasks,
                  prompts,
                  limits,
                  seed,
                  folder,
                  "lorakit eval: "
                      + modelOptions.model.getFileName()
                      + " vs "
                      + modelOptions.adapter.getFileName(),
                  hasLog ? TrainingLog.read(log) : List.of(),
                  hasLog ? TrainingLog.readValidation(log) : List.of(),
                  new Provenance()
                      .models(modelOptions.model, modelOptions.adapter)
                      .data("test data", data)
                      .prompts(templates, limits, tasks)
                      .finish(seed),
                  journal,
                  err,
                  terminal);
          o.print(StudyTable.format(r.comparisons(), StudyRun.baselines(r, seed)));
          o.printf("%nReport: %s%n", out.resolve("report.md"));
        } else {
          if (adapter != null) m.decoder().setLora(adapter);
          Evaluation.Result r =
              StudyRun.evaluate(
                  m, null, cases, tasks, prompts, limits, seed, folder, "", List.of(), List.of(),
                  Map.of(), journal, err, terminal);
          m.decoder().setLora(null);
          writeSingle(r, new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, seed), o);
        }
        if (journal.reused() > 0)
          err.printf(
              Locale.ROOT, "Reused %d answers of the interrupted evaluation.%n", journal.reused());
        journal.finished();
      }
      o.flush();
      return 0;
    }
  }

  /**
   * The cases whose every prompt and answer fit in the model's context; the others are named and
   * refused, or left out with {@code --skip-too-long}.
   */
  private List<Case> fitting(
      List<Case> cases,
      List<Task> tasks,
      PromptTemplates prompts,
      Map<Task, Integer> limits,
      LoraModel m,
      PrintWriter err) {
    int context = m.decoder().config().maxPositions();
    List<Case> fit = new ArrayList<>();
    List<String> tooLong = new ArrayList<>();
    for (Case c : cases) {
      boolean ok = true;
      for (Task t : tasks) {
        int length = m.tokenizer().encode(prompts.prompt(t, c.diagnosis())).length + limits.get(t);
        if (length > context) ok = false;
      }
      if (ok) fit.add(c);
      else tooLong.add(c.id());
    }
    if (tooLong.isEmpty()) return cases;
    String ids = Cli.firstTen(tooLong);
    if (!skipTooLong) {
      throw new LorakitInputException(
          "--data "
              + data
              + ": "
              + tooLong.size()
              + " case(s) do not fit in the model's"
              + " context of "
              + context
              + " tokens with their answers ("
              + ids
              + "); shorten them, lower "
              + "--max-new-tokens, or give --skip-too-long to leave them out.");
    }
    if (fit.isEmpty()) {
      throw new LorakitInputException(
          "--data "
              + data
              + ": no case fits in the model's context of "
              + context
              + " tokens with its answers.");
    }
    err.printf(
        Locale.ROOT,
        "Left out %d case(s) longer than the context of %d tokens: %s.%n",
        tooLong.size(),
        context,
        ids);
    return fit;
  }

  /** One model's scores: printed, and written as answers.jsonl and scores.json. */
  private void writeSingle(Evaluation.Result r, Bootstrap bootstrap, PrintWriter o)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
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
      String secondary =
          a.task() == Task.REGIMEN
              ? String.format(
                  Locale.ROOT,
                  "ROUGE-1 F %.3f [%.3f, %.3f]",
                  rouge.estimate(),
                  rouge.lower(),
                  rouge.upper())
              : String.format(
                  Locale.ROOT,
                  "macro P/R/F1 %.2f/%.2f/%.2f",
                  s.prf().macro().precision(),
                  s.prf().macro().recall(),
                  s.prf().macro().f1());
      o.printf(
          Locale.ROOT,
          "%-9s %4d  %.3f [%.3f, %.3f]     %s%n",
          a.task().answerField(),
          s.n(),
          acc.estimate(),
          acc.lower(),
          acc.upper(),
          secondary);
      StudyTable.baselineAndWarning(s, bootstrap, t, o);
    }
    TextFiles.writeAtomically(out.resolve(AnswerOutput.FILE), AnswerOutput.jsonl(r.base(), null));
    TextFiles.writeAtomically(
        out.resolve("scores.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(scores) + "\n");
    o.printf(
        "%nAnswers: %s; scores: %s%n", out.resolve("answers.jsonl"), out.resolve("scores.json"));
  }
}
