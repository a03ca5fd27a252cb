package dev.lorakit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.train.DataParallel;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.Trainer.StepMetrics;
import dev.lorakit.core.train.TrainingDivergedException;
import dev.lorakit.core.train.TrainingRun;
import dev.lorakit.core.train.Validation;
import dev.lorakit.eval.report.Charts;
import dev.lorakit.eval.report.TrainingLog;
import dev.lorakit.eval.report.TrainingPoint;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code lorakit train}'s run: a {@link TrainingRun} in the output folder, which ends up a PEFT
 * adapter folder (the run folder's files, see {@link TrainingRun}), with what the command adds
 * around it: {@code training_args.json} (the run's whole configuration, checked by {@code
 * --resume}), {@code loss.png} (the loss curve and the validation loss), the progress line, Ctrl-C
 * as a stop request, and the sentences that name the options.
 */
final class FineTune {

  static final String LOG_FILE = TrainingRun.LOG_FILE;
  static final String CHART_FILE = "loss.png";
  static final String CHECKPOINTS = TrainingRun.CHECKPOINTS;
  static final String BEST = TrainingRun.BEST;

  /**
   * How the run ended.
   *
   * @param steps steps done in total
   * @param lastLoss the loss of the last step
   * @param seconds wall time of this run
   * @param tokens tokens processed in this run
   * @param stopped whether it was stopped before the end
   * @param skipped examples left out for length
   * @param alreadyFinished resumed a run that had already ended: nothing was done
   * @param stoppedEarly whether early stopping ended the run (a finished run)
   */
  record Outcome(
      int steps,
      double lastLoss,
      double seconds,
      long tokens,
      boolean stopped,
      int skipped,
      boolean alreadyFinished,
      boolean stoppedEarly) {}

  private FineTune() {}

  /** The PEFT configuration for these settings. */
  static LoraConfig loraConfig(TrainSettings s, String baseModel) {
    return LoraConfig.builder()
        .r(s.loraR())
        .loraAlpha(s.loraAlpha())
        .loraDropout(s.loraDropout())
        .targetModules(s.targetModules().toArray(String[]::new))
        .useRslora(s.useRslora())
        .baseModelNameOrPath(baseModel)
        .build();
  }

  /**
   * Trains an adapter on {@code model} (which must carry none) in the run folder {@code out}: a new
   * run, which replaces the folder's own earlier run files, or with {@code resume} the continuation
   * of the run there, which must have the configuration {@code args} (see {@link TrainingArgs}).
   *
   * @param validation measures the held-out loss while training, or null for none
   * @param err where progress goes
   * @param stop raised to stop at the next step boundary
   * @throws LorakitInputException in one sentence when the run cannot be resumed with these
   *     settings, or when training diverges (naming the step and the last finite checkpoint)
   */
  static Outcome run(
      LoraModel model,
      Backend backend,
      TaskExamples data,
      Validation validation,
      TrainSettings s,
      OutputFolder out,
      boolean resume,
      ObjectNode args,
      StopSignal stop,
      PrintWriter err,
      boolean terminal)
      throws IOException {
    return run(model, backend, data, validation, s, out, resume, args, stop, err, terminal, null);
  }

  /** {@link #run} as rank 0 of data-parallel training ({@code parallel}; null: one device). */
  static Outcome run(
      LoraModel model,
      Backend backend,
      TaskExamples data,
      Validation validation,
      TrainSettings s,
      OutputFolder out,
      boolean resume,
      ObjectNode args,
      StopSignal stop,
      PrintWriter err,
      boolean terminal,
      DataParallel parallel)
      throws IOException {
    List<Example> examples = data.examples();
    if (examples.isEmpty()) {
      throw new LorakitInputException(
          "No training example fits in --max-seq-len " + s.maxSeqLen() + " tokens; raise it.");
    }
    if (examples.size() < s.batchSize()) {
      throw new LorakitInputException(
          "There are "
              + examples.size()
              + " training examples, fewer than one batch of "
              + s.batchSize()
              + "; lower --batch-size.");
    }
    Path checkpoints = out.resolve(CHECKPOINTS);
    int steps = args.path("steps").asInt();
    Optional<Path> latest = Trainer.latestCheckpoint(checkpoints);
    if (resume) {
      if (checkResume(out, args, latest, steps)) {
        return new Outcome(steps, Double.NaN, 0, 0, false, data.skipped(), true, false);
      }
    } else {
      out.deleteOwn(
          CHECKPOINTS,
          LOG_FILE,
          CHART_FILE,
          TrainingArgs.FILE,
          PeftAdapter.CONFIG_FILE,
          PeftAdapter.WEIGHTS_FILE);
      Files.createDirectories(checkpoints);
      TrainingArgs.write(checkpoints.resolve(TrainingArgs.FILE), args);
    }
    LoraConfig config =
        loraConfig(s, model.folder().path().toAbsolutePath().normalize().toString());
    Decoder decoder = model.decoder();
    try (LoraWeights lora =
        LoraWeights.init(LoraSpec.of(config, decoder.config()), backend, s.seed())) {
      long adapterBytes =
          4L * lora.parameters().stream().mapToLong(p -> p.value().shape().size()).sum();
      // Two checkpoints (adapter and both moments) while the older is replaced, and the adapter.
      out.requireFreeSpace(7 * adapterBytes, "the checkpoints and the adapter");
      decoder.setLora(lora);
      decoder.setCheckpointing(s.activationCheckpointing());
      if (resume) {
        err.println(
            "Resuming from "
                + latest.get()
                + " (step "
                + Trainer.stepOf(latest.get())
                + " of "
                + steps
                + ").");
      }
      int perStep = s.batchSize() * s.gradAccum();
      ProgressBar bar = new ProgressBar(err, terminal, "train", 10);
      TrainingRun run =
          runBuilder(model, examples, s, steps, parallel)
              .validation(validation)
              .folder(out.path())
              .resume(resume)
              .listener(
                  p -> {
                    StepMetrics m = p.metrics();
                    bar.update(
                        m.step() - p.startStep(),
                        p.steps() - p.startStep(),
                        String.format(
                            Locale.ROOT,
                            "step %d/%d, %d examples seen (epoch %.2f), loss %.4f%s, lr %.2e, %.0f tok/s",
                            m.step(),
                            p.steps(),
                            (long) m.step() * perStep,
                            (double) m.step() * perStep / examples.size(),
                            m.loss(),
                            validation == null || validation.bestStep() < 0
                                ? ""
                                : String.format(
                                    Locale.ROOT,
                                    ", val loss %.4f (best %.4f)",
                                    p.lastValidationLoss(),
                                    validation.bestLoss()),
                            m.lr(),
                            p.tokens() / Math.max(1e-9, p.seconds())));
                  })
              .stopWhen(stop::requested)
              .build();
      if (stop.exiting()) run.requestStop(); // Ctrl-C while the model was loading
      TrainingRun.Result r;
      try {
        r = run.run();
      } catch (TrainingDivergedException e) {
        throw diverged(e.step(), e.getMessage(), checkpoints);
      }
      boolean stopped = r.ending() == TrainingRun.Ending.STOPPED;
      if (Files.exists(out.resolve(LOG_FILE)) && !stop.exiting()) {
        // Not while the JVM exits: the charting library may not start then.
        Path log = out.resolve(LOG_FILE);
        List<TrainingPoint> curve = TrainingLog.read(log);
        if (!curve.isEmpty())
          Charts.lossCurve(out.resolve(CHART_FILE), curve, TrainingLog.readValidation(log));
      }
      if (stopped) {
        Optional<Path> at = Trainer.latestCheckpoint(checkpoints);
        err.println(
            r.steps() == 0 || at.isEmpty()
                ? "Stopped before the first step; nothing was trained."
                : "Stopped at step "
                    + r.steps()
                    + " of "
                    + steps
                    + "; checkpoint "
                    + at.get()
                    + "; continue with the same command and --resume.");
        err.flush();
      } else {
        TrainingArgs.write(out.resolve(TrainingArgs.FILE), args);
      }
      return new Outcome(
          r.steps(),
          r.lastLoss(),
          r.seconds(),
          r.tokens(),
          stopped,
          data.skipped(),
          false,
          r.ending() == TrainingRun.Ending.STOPPED_EARLY);
    } catch (IOException | RuntimeException | Error e) {
      if (!resume && Trainer.latestCheckpoint(checkpoints).isEmpty()) {
        // A new run that failed before its first checkpoint leaves nothing to continue: no run
        // folder behind.
        out.deleteOwn(CHECKPOINTS, LOG_FILE, CHART_FILE);
      }
      throw e;
    } finally {
      decoder.setLora(null);
    }
  }

  /** The run of {@code steps} steps with these settings, on every rank alike. */
  private static TrainingRun.Builder runBuilder(
      LoraModel model, List<Example> examples, TrainSettings s, int steps, DataParallel parallel) {
    return TrainingRun.builder(model.decoder(), examples)
        .settings(
            Trainer.Settings.builder()
                .batchSize(s.batchSize())
                .gradAccum(s.gradAccum())
                .steps(steps)
                .lr(s.lr())
                .schedule(s.schedule())
                .warmup(s.warmup())
                .maxGradNorm(s.maxGradNorm())
                .seed(s.seed())
                .padId(model.tokenizer().specialTokens().paddingId())
                .build())
        .optimizer(AdamW.Settings.builder().weightDecay(s.weightDecay()).build())
        .checkpointEvery(s.checkpointEvery())
        .keepCheckpoints(s.keepCheckpoints())
        .skipNonFiniteSteps(s.skipNonFinite())
        .dataParallel(parallel);
  }

  /**
   * Trains as rank {@code parallel.rank()} (not 0) of data-parallel training: the same run as rank
   * 0's {@link #run}, which writes everything; this rank writes nothing and returns when the run
   * ends or rank 0 leaves it.
   */
  static void trainAsRank(
      LoraModel model,
      Backend backend,
      List<Example> examples,
      TrainSettings s,
      DataParallel parallel)
      throws IOException {
    Decoder decoder = model.decoder();
    LoraConfig config =
        loraConfig(s, model.folder().path().toAbsolutePath().normalize().toString());
    try (LoraWeights lora =
        LoraWeights.init(LoraSpec.of(config, decoder.config()), backend, s.seed())) {
      decoder.setLora(lora);
      decoder.setCheckpointing(s.activationCheckpointing());
      runBuilder(model, examples, s, s.steps(examples.size()), parallel).build().run();
    } finally {
      decoder.setLora(null);
    }
  }

  /**
   * Checks that the run in {@code out} can be continued with {@code args} up to step {@code steps}
   * (below 0: not known yet, and {@code args} has none); true when it is already finished.
   *
   * @throws LorakitInputException naming what stands in the way
   */
  static boolean checkResume(OutputFolder out, ObjectNode args, Optional<Path> latest, int steps)
      throws IOException {
    boolean finished =
        Files.isRegularFile(out.resolve(PeftAdapter.WEIGHTS_FILE))
            && Files.isRegularFile(out.resolve(TrainingArgs.FILE));
    Path savedFile =
        latest.isPresent() && !finished
            ? out.resolve(CHECKPOINTS).resolve(TrainingArgs.FILE)
            : out.resolve(TrainingArgs.FILE);
    if (latest.isEmpty() && !finished) {
      throw new LorakitInputException(
          "--resume was given but "
              + out
              + " holds no checkpoint to continue; "
              + "leave out --resume to start a run there.");
    }
    if (!Files.isRegularFile(savedFile)) {
      throw new LorakitInputException(
          "--resume: the checkpoint in "
              + out
              + " has no "
              + TrainingArgs.FILE
              + " (an older lorakit wrote it), so it cannot be checked to be this run; start again with --overwrite.");
    }
    ObjectNode saved = TrainingArgs.read(savedFile);
    int reached = finished ? saved.path("steps").asInt() : (int) Trainer.stepOf(latest.get());
    if (steps >= 0 && steps < reached) {
      throw new LorakitInputException(
          "--resume: this run would end at step "
              + steps
              + " (--max-steps), but the"
              + " run in "
              + out
              + " has already reached step "
              + reached
              + "; give --max-steps "
              + saved.path("steps").asInt()
              + " as the run had.");
    }
    String difference = TrainingArgs.firstDifference(saved, args);
    if (difference != null) {
      throw new LorakitInputException(
          "--resume: the run in "
              + out
              + " was made with other settings: "
              + difference
              + "; resume it with its own options, or start again with --overwrite.");
    }
    return finished;
  }

  /** The sentence for a run that diverged at {@code step}, naming the last finite checkpoint. */
  private static LorakitInputException diverged(int step, String what, Path checkpoints)
      throws IOException {
    Optional<Path> last = Trainer.latestCheckpoint(checkpoints);
    String w =
        what.replaceAll("\\.$", "")
            .replaceFirst("^Training (stopped|diverged) (at|by) step \\d+: ", "");
    w = w.replaceFirst("; lower the learning rate or check the data$", "");
    return new LorakitInputException(
        "Training diverged at step "
            + step
            + ": "
            + w
            + "; "
            + (last.isPresent()
                ? "the last finite checkpoint is "
                    + last.get()
                    + " (step "
                    + Trainer.stepOf(last.get())
                    + "); lower --lr (or check the data) and start again with --overwrite."
                : "no checkpoint was written before it, and nothing is kept; lower --lr (or check the data) and start "
                    + "again."));
  }
}
