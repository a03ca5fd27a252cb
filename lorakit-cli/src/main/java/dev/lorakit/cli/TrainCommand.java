package dev.lorakit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorakit train}: trains a LoRA adapter on a case file and writes a PEFT adapter folder. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Trains a LoRA adapter for the radiation-oncology tasks on a case file (JSONL: id, diagnosis, regimen, "
            + "modality, icd10), or on instruction or chat data, and writes a PEFT adapter folder.",
        "OUT gets adapter_config.json and adapter_model.safetensors at the end, training_log.jsonl (one line per "
            + "step: step, loss, lr, grad_norm, tokens, elapsed), loss.png, training_args.json (the run's whole "
            + "configuration) and checkpoints/. Ctrl-C stops at the next step boundary with a checkpoint; the same "
            + "command with --resume continues, and refuses other data or settings."})
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "The base model: a Hugging Face folder with config.json, *.safetensors and tokenizer.json.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "FILE",
      description = "Training data, JSONL: cases, instruction pairs or chat conversations (see --data-format).")
  Path data;

  @Option(names = "--data-format", defaultValue = "auto", paramLabel = "FORMAT",
      description = "cases {id, diagnosis, regimen, modality, icd10}, instruction {prompt, completion} or Alpaca's "
          + "{instruction, input, output}, chat {messages: [{role, content}]} rendered with the model's chat template, "
          + "or auto: told by the first line's fields (default: ${DEFAULT-VALUE}).")
  String dataFormat;

  @Option(names = "--chat-template", paramLabel = "FILE",
      description = "For chat data: a tokenizer_config.json with a chat_template, or a Jinja file (default: the "
          + "model folder's).")
  Path chatTemplate;

  @Option(names = "--task", defaultValue = "all", paramLabel = "TASK",
      description = "For cases: regimen, modality, icd10 or all (one example per case and task); a case needs only "
          + "the answers of the tasks trained (default: ${DEFAULT-VALUE}).")
  String task;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The adapter folder to write.")
  Path out;

  @Option(names = "--templates", paramLabel = "FILE",
      description = "Prompt templates (JSON or properties with keys regimen, modality, icd10, each containing "
          + "{diagnosis}); tasks left out keep the built-in prompts.")
  Path templates;

  @Option(names = "--lora-r", defaultValue = "16", paramLabel = "R", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
  int loraR;

  @Option(names = "--lora-alpha", defaultValue = "32", paramLabel = "ALPHA",
      description = "LoRA alpha; the update is scaled by alpha/r (default: ${DEFAULT-VALUE}).")
  double loraAlpha;

  @Option(names = "--lora-dropout", defaultValue = "0.05", paramLabel = "P",
      description = "Dropout on the LoRA path's input (default: ${DEFAULT-VALUE}).")
  double loraDropout;

  @Option(names = "--target-modules", defaultValue = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
      split = ",", paramLabel = "NAMES",
      description = "Projections to adapt, comma-separated, or all-linear (default: ${DEFAULT-VALUE}).")
  List<String> targetModules;

  @Option(names = "--use-rslora", description = "Rank-stabilised scaling alpha/sqrt(r) (default: ${DEFAULT-VALUE}).")
  boolean useRslora;

  @Option(names = "--lr", defaultValue = "2e-4", paramLabel = "LR", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--schedule", defaultValue = "cosine", paramLabel = "NAME",
      description = "Learning-rate schedule after warmup: constant, linear or cosine (default: ${DEFAULT-VALUE}).")
  String schedule;

  @Option(names = "--warmup", defaultValue = "10", paramLabel = "STEPS",
      description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--epochs", defaultValue = "3", paramLabel = "N",
      description = "Passes over the training examples, used when --max-steps is 0 (default: ${DEFAULT-VALUE}).")
  double epochs;

  @Option(names = "--max-steps", defaultValue = "0", paramLabel = "N",
      description = "Optimizer steps; 0 means as many as --epochs need (default: ${DEFAULT-VALUE}).")
  int maxSteps;

  @Option(names = "--batch-size", defaultValue = "4", paramLabel = "N",
      description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--grad-accum", defaultValue = "4", paramLabel = "N",
      description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).")
  int gradAccum;

  @Option(names = "--max-seq-len", defaultValue = "512", paramLabel = "TOKENS",
      description = "Longest example in tokens; longer ones are left out and counted (default: ${DEFAULT-VALUE}).")
  int maxSeqLen;

  @Option(names = "--weight-decay", defaultValue = "0.0", paramLabel = "WD",
      description = "AdamW's decoupled weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "NORM",
      description = "Gradient clipping threshold, 0 for none (default: ${DEFAULT-VALUE}).")
  double maxGradNorm;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED",
      description = "Seed of the adapter's initialisation, the data order and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
      description = "cpu, cuda or auto (a GPU if one can be used, else the CPU) (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
      description = "fp32, or bf16 (frozen weights in bfloat16; on a GPU the activations too) (default: ${DEFAULT-VALUE}).")
  String precision;

  @Option(names = "--checkpoint-every", defaultValue = "100", paramLabel = "STEPS",
      description = "Steps between checkpoints, 0 for none (a stop always writes one) (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--resume", description = "Continue from the latest checkpoint in OUT/checkpoints (default: ${DEFAULT-VALUE}).")
  boolean resume;

  @Option(names = "--overwrite",
      description = "Start again in an --out that holds a run (or files lorakit did not write); only lorakit's own "
          + "files there are replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @Option(names = "--skip-nonfinite",
      description = "Skip a step whose loss or gradient is not finite (its update is dropped) instead of stopping "
          + "the run (default: ${DEFAULT-VALUE}).")
  boolean skipNonFinite;

  @Option(names = "--activation-checkpointing",
      description = "Recompute each layer's activations in the backward: less memory, about a third more compute "
          + "(default: ${DEFAULT-VALUE}).")
  boolean activationCheckpointing;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Raised by Ctrl-C unless a test supplies its own. */
  StopSignal stop;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Task> tasks = Cli.tasks(task);
    Precision p = Cli.precision(precision);
    Cli.requireFolder(model, "--model");
    TrainSettings settings = new TrainSettings(loraR, loraAlpha, loraDropout, targetModules, useRslora, lr, schedule,
        warmup, epochs, maxSteps, batchSize, gradAccum, maxSeqLen, seed, checkpointEvery, activationCheckpointing,
        weightDecay, maxGradNorm, skipNonFinite);
    if (resume && overwrite) {
      throw new IllegalArgumentException("--resume continues the run in --out and --overwrite starts it again; "
          + "give one of them.");
    }
    Cli.requireFile(data, "--data");
    Cli.requireFile(templates, "--templates");
    TrainingData trainingData = TrainingData.read(data, dataFormat, tasks, model, chatTemplate);
    PromptTemplates prompts = Cli.templates(templates);
    // The signal is released last, so that on Ctrl-C the folder is closed before the JVM exits.
    try (StopSignal signal = stop != null ? stop : StopSignal.onInterrupt();
        OutputFolder folder = OutputFolder.claim(out, "--out", "train", overwrite)) {
      if (!resume && !overwrite && FineTune.holdsRun(folder)) {
        throw new IllegalArgumentException("--out " + out + " already holds a training run; continue it with --resume, "
            + "or give --overwrite to start it again (or choose another folder).");
      }
      if (resume) {
        // Before the model is loaded (minutes for a large one): the settings the step count does not depend on.
        FineTune.checkResume(folder, runArgs(trainingData, tasks, prompts, settings, p, -1),
            Trainer.latestCheckpoint(folder.resolve(FineTune.CHECKPOINTS)), maxSteps > 0 ? maxSteps : -1);
      }
      try (Backend backend = Cli.backend(device, p, err);
          LoadedModel m = LoadedModel.open(model, backend, p)) {
        TaskExamples examples = trainingData.examples(tasks, prompts, m.tokenizer(), maxSeqLen);
        if (examples.skipped() > 0) {
          err.printf(Locale.ROOT, "Left out %d of %d examples longer than --max-seq-len %d.%n", examples.skipped(),
              examples.skipped() + examples.examples().size(), maxSeqLen);
        }
        ObjectNode args = runArgs(trainingData, tasks, prompts, settings, p,
            settings.steps(examples.examples().size()));
        FineTune.Outcome r = FineTune.run(m, backend, examples, settings, folder, resume, args, signal, err,
            ProgressBar.stderrIsTerminal());
        if (r.stopped()) return 130;
        if (r.alreadyFinished()) {
          o.printf(Locale.ROOT, "The run in %s is already finished (%d steps); nothing to do.%n", out, r.steps());
          o.flush();
          return 0;
        }
        o.printf(Locale.ROOT, "Trained %d steps (%s) on %d examples in %.1f s, %.0f tokens/s, last loss %.4f.%n",
            r.steps(), trainingData.describe(tasks), examples.examples().size(),
            r.seconds(), r.tokens() / Math.max(1e-9, r.seconds()), r.lastLoss());
        o.printf("Adapter: %s (training log %s, loss curve %s, configuration %s).%n", out,
            out.resolve(FineTune.LOG_FILE), out.resolve(FineTune.CHART_FILE), out.resolve(TrainingArgs.FILE));
        o.flush();
        return 0;
      }
    }
  }

  /** {@link TrainingArgs} of this run, with the data's format (and the chat template given, if any). */
  private ObjectNode runArgs(TrainingData trainingData, List<Task> tasks, PromptTemplates prompts,
      TrainSettings settings, Precision p, int steps) throws IOException {
    ObjectNode args = TrainingArgs.of(model, data, tasks, prompts, settings, p, device, steps);
    args.put("data_format", trainingData.format().name().toLowerCase(Locale.ROOT));
    if (chatTemplate != null) args.put("chat_template_sha256", TrainingArgs.sha256(chatTemplate));
    return args;
  }
}
