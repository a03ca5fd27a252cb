package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.TrainingRun;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.DatasetSplit;
import dev.lorakit.eval.cases.SplitFractions;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplate;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.report.TrainingLog;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.eval.synth.SyntheticCases;
import dev.lorakit.models.LoraModel;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorakit demo}: the whole study in miniature, from nothing: synthetic cases, a tiny random
 * LLaMA-architecture model with the Mistral tokenizer, LoRA training on the three tasks, greedy
 * generation on held-out cases with and without the adapter, the study's table and report.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the study end to end on synthetic data in a few minutes on a laptop CPU: generates cases, makes a tiny "
          + "random LLaMA-architecture base model (2 blocks, width 128, the Mistral-7B tokenizer with 32000 tokens), "
          + "trains one LoRA adapter on the regimen, modality and ICD-10 tasks, answers the held-out cases with the "
          + "base model and with the adapter (greedy decoding), and prints base vs tuned per task with bootstrap "
          + "95%% intervals and the one-sided Wilcoxon signed-rank p-value.",
      "Writes OUT/cases.jsonl, OUT/train.jsonl, OUT/test.jsonl, OUT/base-model/ (a Hugging Face model folder), "
          + "OUT/adapter/ (a PEFT adapter folder with its training log and loss curve) and OUT/report/."
    })
final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--out",
      defaultValue = "demo-out",
      paramLabel = "DIR",
      description = "Where everything goes (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--cases",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "Synthetic cases to generate; 80%% train, 20%% held-out test (default: ${DEFAULT-VALUE}).")
  int cases;

  @Option(
      names = "--steps",
      defaultValue = "150",
      paramLabel = "N",
      description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--seed",
      defaultValue = "7",
      paramLabel = "SEED",
      description =
          "Seed of the cases, the split, the base model, the adapter and the data order "
              + "(default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      paramLabel = "DEVICE",
      description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      paramLabel = "P",
      description =
          "fp32, or bf16 (frozen weights in bfloat16; on a GPU the activations too) (default: ${DEFAULT-VALUE}).")
  String precision;

  @Option(
      names = "--lr",
      defaultValue = "1e-2",
      paramLabel = "LR",
      description =
          "Peak learning rate, cosine schedule after a short warmup (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(
      names = "--batch-size",
      defaultValue = "16",
      paramLabel = "N",
      description = "Sequences per step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--lora-r",
      defaultValue = "16",
      paramLabel = "R",
      description =
          "LoRA rank on all seven projections; alpha is twice the rank (default: ${DEFAULT-VALUE}).")
  int loraR;

  @Option(
      names = "--max-seq-len",
      defaultValue = "160",
      paramLabel = "TOKENS",
      description =
          "Longest training example; longer ones are left out (default: ${DEFAULT-VALUE}).")
  int maxSeqLen;

  @Option(
      names = "--overwrite",
      description =
          "Write into an --out that holds files lorakit did not write; only the demo's own files there are "
              + "replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Short prompts: the demo's model reads every token on two CPU cores. */
  static PromptTemplates templates() {
    return PromptTemplates.defaults()
        .with(Task.REGIMEN, new PromptTemplate("{diagnosis}\nRegimen:"))
        .with(Task.MODALITY, new PromptTemplate("{diagnosis}\nModality:"))
        .with(Task.ICD10, new PromptTemplate("{diagnosis}\nICD-10:"));
  }

  @Override
  public Integer call() throws IOException {
    if (cases < 20)
      throw new LorakitInputException("--cases is " + cases + ", expected at least 20.");
    if (steps < 1)
      throw new LorakitInputException("--steps is " + steps + ", expected at least 1.");
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = ProgressBar.stderrIsTerminal();
    long start = System.nanoTime();

    try (OutputFolder folder = OutputFolder.claim(out, "--out", "demo", overwrite)) {
      return run(folder, o, err, terminal, start);
    }
  }

  private int run(OutputFolder folder, PrintWriter o, PrintWriter err, boolean terminal, long start)
      throws IOException {
    List<Case> all = new SyntheticCases(seed, SyntheticCases.DEFAULT_NOISE).generate(cases);
    DatasetSplit split =
        DatasetSplit.stratifiedByModality(all, new SplitFractions(0.8, 0, 0.2), seed);
    CaseFile.write(out.resolve("cases.jsonl"), all);
    CaseFile.write(out.resolve("train.jsonl"), split.train());
    CaseFile.write(out.resolve("test.jsonl"), split.test());
    Path baseDir = out.resolve("base-model");
    TinyModel.demoDefault().write(baseDir, seed);
    o.printf(
        Locale.ROOT,
        "%d synthetic cases (%d train, %d test) and a tiny random base model in %s%n",
        all.size(),
        split.train().size(),
        split.test().size(),
        out);
    o.flush();

    List<Task> tasks = List.of(Task.REGIMEN, Task.MODALITY, Task.ICD10);
    PromptTemplates templates = templates();
    TrainSettings settings =
        new TrainSettings(
            loraR,
            2.0 * loraR,
            0.0,
            List.of("all-linear"),
            false,
            lr,
            "cosine",
            Math.max(1, steps / 20),
            1,
            steps,
            batchSize,
            1,
            maxSeqLen,
            seed,
            0,
            TrainingRun.DEFAULT_KEEP_CHECKPOINTS,
            false,
            0.0,
            1.0,
            false);
    Precision p = Cli.precision(precision);
    try (Backend backend = Cli.backend(device, p, err);
        LoraModel model = LoraModel.open(baseDir, backend, p)) {
      TaskExamples examples =
          TaskExamples.of(split.train(), tasks, templates, model.tokenizer(), maxSeqLen);
      Path adapterDir = out.resolve("adapter");
      FineTune.Outcome trained;
      // Everything in the demo's folder is the demo's: its adapter folder is replaced without
      // asking.
      try (StopSignal stop = StopSignal.onInterrupt();
          OutputFolder adapterFolder = OutputFolder.claim(adapterDir, "--out", "train", true)) {
        trained =
            FineTune.run(
                model,
                backend,
                examples,
                null,
                settings,
                adapterFolder,
                false,
                TrainingArgs.of(
                    baseDir,
                    out.resolve("train.jsonl"),
                    tasks,
                    templates,
                    settings,
                    p,
                    device,
                    settings.steps(examples.examples().size())),
                stop,
                err,
                terminal);
      }
      if (trained.stopped()) return 130;
      o.printf(
          Locale.ROOT,
          "trained %d steps on %d examples (%d longer than %d tokens left out) in %.1f s, "
              + "%.0f tokens/s; final loss %.3f%n",
          trained.steps(),
          examples.examples().size(),
          trained.skipped(),
          maxSeqLen,
          trained.seconds(),
          trained.tokens() / trained.seconds(),
          trained.lastLoss());
      o.flush();
      long evalStart = System.nanoTime();
      Path report = out.resolve("report");
      Evaluation.Result result;
      try (LoraWeights adapter = LoraWeights.read(adapterDir, model.decoder().config(), backend);
          OutputFolder reportFolder = OutputFolder.claim(report, "--out", "eval", true)) {
        Path log = adapterDir.resolve(FineTune.LOG_FILE);
        result =
            StudyRun.evaluate(
                model,
                adapter,
                split.test(),
                tasks,
                templates,
                Evaluation.defaultMaxNewTokens(),
                seed,
                reportFolder,
                "lorakit demo: tiny random base model vs LoRA on synthetic cases",
                TrainingLog.read(log),
                TrainingLog.readValidation(log),
                new Provenance()
                    .models(baseDir, adapterDir)
                    .data("training data", out.resolve("train.jsonl"))
                    .data("test data", out.resolve("test.jsonl"))
                    .put(
                        "training",
                        String.format(
                            Locale.ROOT,
                            "%d steps of %d examples, lr %s cosine, max %d tokens",
                            steps,
                            batchSize,
                            lr,
                            maxSeqLen))
                    .prompts(null, Evaluation.defaultMaxNewTokens(), tasks)
                    .finish(seed),
                null,
                err,
                terminal);
      }
      double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
      o.printf(
          Locale.ROOT,
          "evaluated %d held-out cases x %d tasks x 2 models in %.1f s%n%n",
          split.test().size(),
          tasks.size(),
          evalSeconds);
      o.print(StudyTable.format(result.comparisons(), StudyRun.baselines(result, seed)));
      o.printf(
          Locale.ROOT,
          "%nreport:  %s%nadapter: %s%nmodel:   %s%ntotal:   %.1f s%n",
          report.resolve("report.md"),
          adapterDir,
          baseDir,
          (System.nanoTime() - start) / 1e9);
      o.flush();
    }
    return 0;
  }
}
