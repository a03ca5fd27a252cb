package dev.lorakit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.TrainingRun;
import dev.lorakit.core.train.Validation;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.models.LoraModel;
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
          + "command with --resume continues, and refuses other data or settings.",
      "With --eval-data or --val-fraction, the mean validation loss per token is measured every --eval-every "
          + "steps and at the end (no dropout), logged as {step, val_loss} lines, drawn on loss.png and shown in the "
          + "progress; the adapter of the lowest one is kept in OUT/checkpoints/best, and "
          + "--early-stopping-patience ends the run after that many measurements without a new lowest. The "
          + "adapter in OUT is always the last step's."
    })
final class TrainCommand implements Callable<Integer> {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description =
          "The base model: a Hugging Face folder with config.json, *.safetensors and tokenizer.json.")
  Path model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "FILE",
      description =
          "Training data, JSONL: cases, instruction pairs or chat conversations (see --data-format).")
  Path data;

  @Option(
      names = "--data-format",
      defaultValue = "auto",
      paramLabel = "FORMAT",
      description =
          "cases {id, diagnosis, regimen, modality, icd10}, instruction {prompt, completion} or Alpaca's "
              + "{instruction, input, output}, chat {messages: [{role, content}]} rendered with the model's chat template, "
              + "or auto: told by the first line's fields (default: ${DEFAULT-VALUE}).")
  String dataFormat;

  @Option(
      names = "--chat-template",
      paramLabel = "FILE",
      description =
          "For chat data: a tokenizer_config.json with a chat_template, or a Jinja file (default: the "
              + "model folder's).")
  Path chatTemplate;

  @Option(
      names = "--task",
      defaultValue = "all",
      paramLabel = "TASK",
      description =
          "For cases: regimen, modality, icd10 or all (one example per case and task); a case needs only "
              + "the answers of the tasks trained (default: ${DEFAULT-VALUE}).")
  String task;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "The adapter folder to write.")
  Path out;

  @Option(
      names = "--templates",
      paramLabel = "FILE",
      description =
          "Prompt templates (JSON or properties with keys regimen, modality, icd10, each containing "
              + "{diagnosis}); tasks left out keep the built-in prompts.")
  Path templates;

  @Option(
      names = "--lora-r",
      defaultValue = "" + LoraConfig.DEFAULT_R,
      paramLabel = "R",
      description = "LoRA rank (default: ${DEFAULT-VALUE}).")
  int loraR;

  @Option(
      names = "--lora-alpha",
      defaultValue = "" + LoraConfig.DEFAULT_ALPHA,
      paramLabel = "ALPHA",
      description = "LoRA alpha; the update is scaled by alpha/r (default: ${DEFAULT-VALUE}).")
  double loraAlpha;

  @Option(
      names = "--lora-dropout",
      defaultValue = "" + LoraConfig.DEFAULT_DROPOUT,
      paramLabel = "P",
      description = "Dropout on the LoRA path's input (default: ${DEFAULT-VALUE}).")
  double loraDropout;

  @Option(
      names = "--target-modules",
      defaultValue = LoraConfig.DEFAULT_TARGET_MODULES,
      split = ",",
      paramLabel = "NAMES",
      description =
          "Projections to adapt, comma-separated, or all-linear (default: ${DEFAULT-VALUE}).")
  List<String> targetModules;

  @Option(
      names = "--use-rslora",
      description = "Rank-stabilised scaling alpha/sqrt(r) (default: ${DEFAULT-VALUE}).")
  boolean useRslora;

  @Option(
      names = "--lr",
      defaultValue = "" + Trainer.Settings.DEFAULT_LR,
      paramLabel = "LR",
      description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(
      names = "--schedule",
      defaultValue = Trainer.Settings.DEFAULT_SCHEDULE,
      paramLabel = "NAME",
      description =
          "Learning-rate schedule after warmup: constant, linear or cosine (default: ${DEFAULT-VALUE}).")
  String schedule;

  @Option(
      names = "--warmup",
      defaultValue = "" + Trainer.Settings.DEFAULT_WARMUP,
      paramLabel = "STEPS",
      description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--epochs",
      defaultValue = "3",
      paramLabel = "N",
      description =
          "Passes over the training examples, used when --max-steps is 0 (default: ${DEFAULT-VALUE}).")
  double epochs;

  @Option(
      names = "--max-steps",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Optimizer steps; 0 means as many as --epochs need (default: ${DEFAULT-VALUE}).")
  int maxSteps;

  @Option(
      names = "--batch-size",
      defaultValue = "" + Trainer.Settings.DEFAULT_BATCH_SIZE,
      paramLabel = "N",
      description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--grad-accum",
      defaultValue = "" + Trainer.Settings.DEFAULT_GRAD_ACCUM,
      paramLabel = "N",
      description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).")
  int gradAccum;

  @Option(
      names = "--max-seq-len",
      defaultValue = "512",
      paramLabel = "TOKENS",
      description =
          "Longest example in tokens; longer ones are left out and counted (default: ${DEFAULT-VALUE}).")
  int maxSeqLen;

  @Option(
      names = "--weight-decay",
      defaultValue = "" + AdamW.Settings.DEFAULT_WEIGHT_DECAY,
      paramLabel = "WD",
      description = "AdamW's decoupled weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(
      names = "--max-grad-norm",
      defaultValue = "" + Trainer.Settings.DEFAULT_MAX_GRAD_NORM,
      paramLabel = "NORM",
      description = "Gradient clipping threshold, 0 for none (default: ${DEFAULT-VALUE}).")
  double maxGradNorm;

  @Option(
      names = "--seed",
      defaultValue = "" + Trainer.Settings.DEFAULT_SEED,
      paramLabel = "SEED",
      description =
          "Seed of the adapter's initialisation, the data order and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--device",
      defaultValue = "auto",
      paramLabel = "DEVICE",
      description =
          "cpu, cuda or auto (a GPU if one can be used, else the CPU) (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      paramLabel = "P",
      description =
          "fp32, or bf16 (frozen weights in bfloat16; on a GPU the activations too) (default: ${DEFAULT-VALUE}).")
  String precision;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "" + TrainingRun.DEFAULT_CHECKPOINT_EVERY,
      paramLabel = "STEPS",
      description =
          "Steps between checkpoints, 0 for none (a stop always writes one) (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(
      names = "--keep-checkpoints",
      defaultValue = "" + TrainingRun.DEFAULT_KEEP_CHECKPOINTS,
      paramLabel = "N",
      description =
          "How many of the newest checkpoints to keep in OUT/checkpoints; older ones are deleted (default: ${DEFAULT-VALUE}).")
  int keepCheckpoints;

  @Option(
      names = "--resume",
      description =
          "Continue from the latest checkpoint in OUT/checkpoints (default: ${DEFAULT-VALUE}).")
  boolean resume;

  @Option(
      names = "--overwrite",
      description =
          "Start again in an --out that holds a run (or files lorakit did not write); only lorakit's own "
              + "files there are replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @Option(
      names = "--skip-nonfinite",
      description =
          "Skip a step whose loss or gradient is not finite (its update is dropped) instead of stopping "
              + "the run (default: ${DEFAULT-VALUE}).")
  boolean skipNonFinite;

  @Option(
      names = "--activation-checkpointing",
      description =
          "Recompute each layer's activations in the backward: less memory, about a third more compute "
              + "(default: ${DEFAULT-VALUE}).")
  boolean activationCheckpointing;

  @Option(
      names = "--eval-data",
      paramLabel = "FILE",
      description =
          "Held-out data to measure the validation loss on while training, in any format --data takes.")
  Path evalData;

  @Option(
      names = "--val-fraction",
      defaultValue = "0",
      paramLabel = "F",
      description =
          "Instead of --eval-data: hold out this fraction of --data's records (cases, pairs or "
              + "conversations; a split drawn with --seed) for the validation loss; 0 for none (default: ${DEFAULT-VALUE}).")
  double valFraction;

  @Option(
      names = "--eval-every",
      paramLabel = "STEPS",
      description =
          "Steps between validation measurements; the last step is always measured (default: "
              + Validation.Settings.DEFAULT_EVERY
              + ").")
  Integer evalEvery;

  @Option(
      names = "--early-stopping-patience",
      paramLabel = "K",
      description =
          "End the run (as finished) after K validation measurements in a row without a new lowest loss; "
              + "0 never stops early (default: "
              + Validation.Settings.DEFAULT_PATIENCE
              + ").")
  Integer earlyStoppingPatience;

  @Option(
      names = "--gpus",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Train on N GPUs of this machine, data-parallel over NCCL: each computes --grad-accum/N of every "
              + "step's micro-batches (so the global batch and the result are those of one GPU) and the gradients are "
              + "summed before each step (default: ${DEFAULT-VALUE}).")
  int gpus;

  @Option(
      names = "--distributed",
      description =
          "Be one rank of a data-parallel run on several machines, one process per GPU as a launcher starts "
              + "them (torchrun, srun): RANK, WORLD_SIZE, LOCAL_RANK or SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, and "
              + "MASTER_ADDR, MASTER_PORT (29500 if unset) where the ranks meet; rank 0 writes --out, the others nothing "
              + "(default: ${DEFAULT-VALUE}).")
  boolean distributed;

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
    TrainSettings settings =
        new TrainSettings(
            loraR,
            loraAlpha,
            loraDropout,
            targetModules,
            useRslora,
            lr,
            schedule,
            warmup,
            epochs,
            maxSteps,
            batchSize,
            gradAccum,
            maxSeqLen,
            seed,
            checkpointEvery,
            keepCheckpoints,
            activationCheckpointing,
            weightDecay,
            maxGradNorm,
            skipNonFinite);
    if (resume && overwrite) {
      throw new LorakitInputException(
          "--resume continues the run in --out and --overwrite starts it again; "
              + "give one of them.");
    }
    Cli.requireFile(data, "--data");
    Cli.requireFile(templates, "--templates");
    Validation.Settings validationSettings = validationSettings();
    Cli.requireFile(evalData, "--eval-data");
    TrainingData trainingData = TrainingData.read(data, dataFormat, tasks, model, chatTemplate);
    TrainingData heldOut = null;
    if (evalData != null) {
      heldOut = TrainingData.read(evalData, dataFormat, tasks, model, chatTemplate);
    } else if (validationSettings != null) {
      List<TrainingData> parts = trainingData.split(valFraction, seed);
      trainingData = parts.get(0);
      heldOut = parts.get(1);
    }
    PromptTemplates prompts = Cli.templates(templates);
    DataParallelLaunch launch =
        DataParallelLaunch.of(gpus, distributed, device, gradAccum, System.getenv());
    DataParallelLaunch.Job job =
        launch == null
            ? null
            : new DataParallelLaunch.Job(model, p, trainingData, tasks, prompts, settings);
    if (launch != null && launch.rank() != 0) {
      // Ctrl-C reaches every process of the run; this one carries on until rank 0 has stopped at a
      // step boundary.
      StopSignal interrupt = StopSignal.onInterrupt();
      try (interrupt;
          launch) {
        launch.runRank(job);
      }
      return 0;
    }
    // The signal is released last, so that on Ctrl-C the folder is closed before the JVM exits.
    try (StopSignal signal = stop != null ? stop : StopSignal.onInterrupt();
        OutputFolder folder = OutputFolder.claim(out, "--out", "train", overwrite)) {
      if (!resume && !overwrite && TrainingRun.holdsRun(folder.path())) {
        throw new LorakitInputException(
            "--out "
                + out
                + " already holds a training run; continue it with --resume, "
                + "or give --overwrite to start it again (or choose another folder).");
      }
      if (resume) {
        // Before the model is loaded (minutes for a large one): the settings the step count does
        // not depend on.
        FineTune.checkResume(
            folder,
            runArgs(trainingData, tasks, prompts, settings, validationSettings, p, -1),
            Trainer.latestCheckpoint(folder.resolve(FineTune.CHECKPOINTS)),
            maxSteps > 0 ? maxSteps : -1);
      }
      try (Backend backend =
              launch == null ? Cli.backend(device, p, err) : launch.rankZeroBackend();
          LoraModel m = LoraModel.open(model, backend, p);
          DataParallelLaunch ranks = launch) {
        TaskExamples examples = trainingData.examples(tasks, prompts, m.tokenizer(), maxSeqLen);
        if (examples.skipped() > 0) err.println(examples.leftOut("examples", maxSeqLen));
        Validation validation =
            heldOut == null
                ? null
                : validation(
                    heldOut.examples(tasks, prompts, m.tokenizer(), maxSeqLen),
                    m,
                    validationSettings,
                    err);
        ObjectNode args =
            runArgs(
                trainingData,
                tasks,
                prompts,
                settings,
                validationSettings,
                p,
                settings.steps(examples.examples().size()));
        FineTune.Outcome r =
            FineTune.run(
                m,
                backend,
                examples,
                validation,
                settings,
                folder,
                resume,
                args,
                signal,
                err,
                ProgressBar.stderrIsTerminal(),
                ranks == null ? null : ranks.startRankZero(backend, job));
        if (ranks != null) ranks.finish();
        if (r.stopped()) return 130;
        if (r.alreadyFinished()) {
          o.printf(
              Locale.ROOT,
              "The run in %s is already finished (%d steps); nothing to do.%n",
              out,
              r.steps());
          o.flush();
          return 0;
        }
        o.printf(
            Locale.ROOT,
            "Trained %d steps (%s) on %d examples in %.1f s, %.0f tokens/s, last loss %.4f.%n",
            r.steps(),
            trainingData.describe(tasks),
            examples.examples().size(),
            r.seconds(),
            r.tokens() / Math.max(1e-9, r.seconds()),
            r.lastLoss());
        if (r.stoppedEarly()) {
          o.printf(
              Locale.ROOT,
              "Stopped early at step %d of %d: the validation loss did not go below its lowest, "
                  + "%.4f at step %d, in %d measurements (--early-stopping-patience %d).%n",
              r.steps(),
              args.path("steps").asInt(),
              validation.bestLoss(),
              validation.bestStep(),
              validation.sinceBest(),
              validationSettings.patience());
        }
        if (validation != null && validation.bestStep() >= 0) {
          o.printf(
              Locale.ROOT,
              "Lowest validation loss %.4f at step %d; that adapter is in %s.%n",
              validation.bestLoss(),
              validation.bestStep(),
              out.resolve(FineTune.CHECKPOINTS).resolve(FineTune.BEST));
        }
        o.printf(
            "Adapter: %s (training log %s, loss curve %s, configuration %s).%n",
            out,
            out.resolve(FineTune.LOG_FILE),
            out.resolve(FineTune.CHART_FILE),
            out.resolve(TrainingArgs.FILE));
        o.flush();
        return 0;
      }
    }
  }

  /**
   * {@link TrainingArgs} of this run, with the data's format (and the chat template given, if any).
   */
  private ObjectNode runArgs(
      TrainingData trainingData,
      List<Task> tasks,
      PromptTemplates prompts,
      TrainSettings settings,
      Validation.Settings validation,
      Precision p,
      int steps)
      throws IOException {
    ObjectNode args = TrainingArgs.of(model, data, tasks, prompts, settings, p, device, steps);
    args.put("data_format", trainingData.format().name().toLowerCase(Locale.ROOT));
    if (chatTemplate != null) args.put("chat_template_sha256", TrainingArgs.sha256(chatTemplate));
    if (validation != null) {
      if (evalData != null) {
        args.put("eval_data", evalData.toAbsolutePath().normalize().toString());
        args.put("eval_data_sha256", TrainingArgs.sha256(evalData));
      } else {
        args.put("val_fraction", valFraction);
      }
      args.put("eval_every", validation.every());
      args.put("early_stopping_patience", validation.patience());
    }
    return args;
  }

  /** The validation options checked together; null when there is no validation. */
  private Validation.Settings validationSettings() {
    if (evalData != null && valFraction != 0) {
      throw new LorakitInputException(
          "--eval-data and --val-fraction both name the validation set; give one.");
    }
    if (valFraction != 0 && !(valFraction > 0 && valFraction < 1)) {
      throw new LorakitInputException(
          "--val-fraction is " + valFraction + ", expected a fraction between 0 and 1.");
    }
    if (evalData == null && valFraction == 0) {
      if (evalEvery != null || earlyStoppingPatience != null) {
        throw new LorakitInputException(
            (evalEvery != null ? "--eval-every" : "--early-stopping-patience")
                + " needs a validation set: give --eval-data or --val-fraction.");
      }
      return null;
    }
    int every = evalEvery != null ? evalEvery : Validation.Settings.DEFAULT_EVERY;
    int patience =
        earlyStoppingPatience != null
            ? earlyStoppingPatience
            : Validation.Settings.DEFAULT_PATIENCE;
    if (every < 1)
      throw new LorakitInputException("--eval-every is " + every + ", expected at least 1.");
    if (patience < 0) {
      throw new LorakitInputException(
          "--early-stopping-patience is " + patience + ", expected 0 or more.");
    }
    return new Validation.Settings(every, patience);
  }

  /** The validation of the held-out examples, telling how many were left out for length. */
  private Validation validation(
      TaskExamples held, LoraModel m, Validation.Settings settings, PrintWriter err) {
    String what =
        evalData != null ? "--eval-data " + evalData : "the --val-fraction held-out part of --data";
    if (held.skipped() > 0) err.println(held.leftOut("validation examples", maxSeqLen));
    if (held.examples().isEmpty()) {
      throw new LorakitInputException(
          "No example of " + what + " fits in --max-seq-len " + maxSeqLen + " tokens; raise it.");
    }
    try {
      return new Validation(
          held.examples(), batchSize, m.tokenizer().specialTokens().paddingId(), settings);
    } catch (LorakitInputException e) {
      throw new LorakitInputException(
          what
              + " has no example with an answer to learn; the validation loss "
              + "would be empty.");
    }
  }
}
