package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.InitLoraWeights;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.train.DataParallel;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.TrainingDivergedException;
import dev.lorakit.core.train.Validation;
import dev.lorakit.eval.report.Charts;
import dev.lorakit.eval.report.TrainingPoint;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One LoRA training run into an output folder, which ends up a PEFT adapter folder:
 *
 * <pre>
 * OUT/adapter_config.json, adapter_model.safetensors   the adapter (written at the end)
 * OUT/training_log.jsonl                               one line per step: step, loss, lr, grad_norm, tokens, elapsed;
 *                                                      with validation, one line per measurement: step, val_loss
 * OUT/loss.png                                         the loss curve (and the validation loss)
 * OUT/checkpoints/checkpoint-STEP.safetensors          the latest checkpoint (adapter + AdamW moments)
 * OUT/checkpoints/best/                                with validation: the adapter of the lowest validation loss
 * </pre>
 *
 * A stop request (Ctrl-C) ends the run at the next step boundary with a checkpoint written; {@code resume}
 * continues from the latest checkpoint, bit for bit as if never stopped: the validation bookkeeping (best loss, its
 * step, measurements since) is replayed from the log's validation lines up to the checkpoint. Early stopping ends
 * the run as finished, with the last step's adapter; the best one stays in {@code checkpoints/best}.
 */
final class FineTune {

  static final String LOG_FILE = "training_log.jsonl";
  static final String CHART_FILE = "loss.png";
  static final String CHECKPOINTS = "checkpoints";
  static final String BEST = "best";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How the run ended.
   *
   * @param steps     steps done in total
   * @param lastLoss  the loss of the last step
   * @param seconds   wall time of this run
   * @param tokens    tokens processed in this run
   * @param stopped   whether it was stopped before the end
   * @param skipped   examples left out for length
   * @param alreadyFinished resumed a run that had already ended: nothing was done
   * @param stoppedEarly whether early stopping ended the run (a finished run)
   */
  record Outcome(int steps, double lastLoss, double seconds, long tokens, boolean stopped, int skipped,
      boolean alreadyFinished, boolean stoppedEarly) {}

  /** The run stopped at a step boundary on request. */
  static final class Stopped extends RuntimeException {
    Stopped() {
      super(null, null, false, false);
    }
  }

  /** Early stopping ended the run at a step boundary. */
  private static final class StoppedEarly extends RuntimeException {
    StoppedEarly() {
      super(null, null, false, false);
    }
  }

  private FineTune() {}

  /** The PEFT configuration for these settings. */
  static LoraConfig loraConfig(TrainSettings s, String baseModel) {
    TargetModules targets = s.targetModules().size() == 1 && s.targetModules().get(0).equals(TargetModules.ALL_LINEAR)
        ? new TargetModules.AllLinear() : new TargetModules.Names(s.targetModules());
    return new LoraConfig(s.loraR(), s.loraAlpha(), s.loraDropout(), targets, null, s.useRslora(), "none", null, null,
        Map.of(), Map.of(), null, InitLoraWeights.DEFAULT, "CAUSAL_LM", baseModel, "LORA", false, null, false, null);
  }

  /**
   * Trains an adapter on {@code model} (which must carry none) in the run folder {@code out}: a new run, which
   * replaces the folder's own earlier run files, or with {@code resume} the continuation of the run there, which must
   * have the configuration {@code args} (see {@link TrainingArgs}).
   *
   * @param validation measures the held-out loss while training, or null for none
   * @param err     where progress goes
   * @param stop    raised to stop at the next step boundary
   * @throws IllegalArgumentException in one sentence when the run cannot be resumed with these settings, or when
   *                                  training diverges (naming the step and the last finite checkpoint)
   */
  static Outcome run(LoadedModel model, Backend backend, TaskExamples data, Validation validation, TrainSettings s,
      OutputFolder out, boolean resume, ObjectNode args, StopSignal stop, PrintWriter err, boolean terminal)
      throws IOException {
    return run(model, backend, data, validation, s, out, resume, args, stop, err, terminal, null);
  }

  /** {@link #run} as rank 0 of data-parallel training ({@code parallel}; null: one device). */
  static Outcome run(LoadedModel model, Backend backend, TaskExamples data, Validation validation, TrainSettings s,
      OutputFolder out, boolean resume, ObjectNode args, StopSignal stop, PrintWriter err, boolean terminal,
      DataParallel parallel) throws IOException {
    List<Example> examples = data.examples();
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("No training example fits in --max-seq-len " + s.maxSeqLen()
          + " tokens; raise it.");
    }
    if (examples.size() < s.batchSize()) {
      throw new IllegalArgumentException("There are " + examples.size() + " training examples, fewer than one batch of "
          + s.batchSize() + "; lower --batch-size.");
    }
    Path checkpoints = out.resolve(CHECKPOINTS);
    Path log = out.resolve(LOG_FILE);
    int steps = args.path("steps").asInt();
    Optional<Path> latest = Trainer.latestCheckpoint(checkpoints);
    if (resume) {
      if (checkResume(out, args, latest, steps)) {
        return new Outcome(steps, Double.NaN, 0, 0, false, data.skipped(), true, false);
      }
    } else {
      out.deleteOwn(CHECKPOINTS, LOG_FILE, CHART_FILE, TrainingArgs.FILE, PeftAdapter.CONFIG_FILE,
          PeftAdapter.WEIGHTS_FILE);
      Files.createDirectories(checkpoints);
      TrainingArgs.write(checkpoints.resolve(TrainingArgs.FILE), args);
    }
    try {
      return train(model, backend, data, validation, s, out, resume, args, stop, err, terminal, steps, latest,
          parallel);
    } catch (IOException | RuntimeException | Error e) {
      if (!resume && Trainer.latestCheckpoint(checkpoints).isEmpty()) {
        // A new run that failed before its first checkpoint leaves nothing to continue: no run folder behind.
        out.deleteOwn(CHECKPOINTS, LOG_FILE, CHART_FILE);
      }
      throw e;
    }
  }

  private static Outcome train(LoadedModel model, Backend backend, TaskExamples data, Validation validation,
      TrainSettings s, OutputFolder out, boolean resume, ObjectNode args, StopSignal stop, PrintWriter err,
      boolean terminal, int steps, Optional<Path> latest, DataParallel parallel) throws IOException {
    List<Example> examples = data.examples();
    Path checkpoints = out.resolve(CHECKPOINTS);
    Path log = out.resolve(LOG_FILE);
    LoraConfig config = loraConfig(s, model.folder().path().toAbsolutePath().normalize().toString());
    Decoder decoder = model.decoder();
    LoraSpec spec = LoraSpec.of(config, decoder.config());
    try (LoraWeights lora = LoraWeights.init(spec, backend, s.seed());
        AdamW optimizer = new AdamW(backend, lora.parameters(), adamW(s))) {
      long adapterBytes = 4L * lora.parameters().stream().mapToLong(p -> p.value().shape().size()).sum();
      // Two checkpoints (adapter and both moments) while the older is replaced, and the adapter.
      out.requireFreeSpace(7 * adapterBytes, "the checkpoints and the adapter");
      decoder.setLora(lora);
      decoder.setCheckpointing(s.activationCheckpointing());
      Trainer trainer = new Trainer(decoder, lora, optimizer, trainerSettings(s, steps, checkpoints, model), examples)
          .skipNonFiniteSteps(s.skipNonFinite()).dataParallel(parallel);
      List<TrainingPoint> curve = new ArrayList<>();
      List<TrainingPoint> validationCurve = new ArrayList<>();
      double[] lastValidation = {Double.NaN};
      double previousElapsed = 0;
      long previousTokens = 0;
      if (resume) {
        trainer.loadCheckpoint(latest.get());
        double[] kept = keepLogUpTo(log, optimizer.stepCount(), curve, validationCurve);
        previousElapsed = kept[0];
        previousTokens = (long) kept[1];
        if (validation != null) {
          for (TrainingPoint p : validationCurve) validation.record((int) p.step(), p.loss());
        }
        if (!validationCurve.isEmpty()) lastValidation[0] = validationCurve.getLast().loss();
        validationCurve.removeIf(p -> !Double.isFinite(p.loss()));
        err.println("Resuming from " + latest.get() + " (step " + optimizer.stepCount() + " of " + steps + ").");
      }
      int startStep = optimizer.stepCount();
      int perStep = s.batchSize() * s.gradAccum();
      ProgressBar bar = new ProgressBar(err, terminal, "train", 10);
      long start = System.nanoTime();
      long[] tokens = {0};
      double[] last = {Double.NaN};
      boolean stopped = stop.exiting(); // Ctrl-C while the model was loading
      boolean stoppedEarly = false;
      if (!stopped) {
        try (BufferedWriter logOut = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
          final double elapsedBefore = previousElapsed;
          final long tokensBefore = previousTokens;
          trainer.train(m -> {
            tokens[0] += m.tokens();
            last[0] = m.loss();
            double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
            ObjectNode line = JSON.createObjectNode();
            line.put("step", m.step());
            if (Double.isFinite(m.loss()) && Double.isFinite(m.gradNorm())) {
              curve.add(new TrainingPoint(m.step(), m.loss()));
              line.put("loss", m.loss());
              line.put("grad_norm", m.gradNorm());
            } else { // a step skipped by --skip-nonfinite: JSON has no NaN
              line.putNull("loss");
              line.putNull("grad_norm");
              line.put("skipped", true);
            }
            line.put("lr", m.lr());
            line.put("tokens", tokensBefore + tokens[0]);
            line.put("elapsed", Math.round(elapsed * 1000) / 1000.0);
            Validation.Outcome measured = null;
            try {
              logOut.write(line.toString());
              logOut.newLine();
              if (validation != null && validation.due(m.step(), steps)) {
                // Before the step's checkpoint (written after this listener): a checkpoint's log is complete.
                measured = validation.measure(decoder, m.step());
                lastValidation[0] = measured.loss();
                ObjectNode v = JSON.createObjectNode();
                v.put("step", m.step());
                if (Double.isFinite(measured.loss())) {
                  v.put("val_loss", measured.loss());
                  validationCurve.add(new TrainingPoint(m.step(), measured.loss()));
                } else {
                  v.putNull("val_loss");
                }
                logOut.write(v.toString());
                logOut.newLine();
                if (measured.improved()) lora.save(checkpoints.resolve(BEST));
              }
              logOut.flush();
              pruneCheckpoints(checkpoints);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            double tps = tokens[0] / Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            bar.update(m.step() - startStep, steps - startStep, String.format(Locale.ROOT,
                "step %d/%d, %d examples seen (epoch %.2f), loss %.4f%s, lr %.2e, %.0f tok/s", m.step(), steps,
                (long) m.step() * perStep, (double) m.step() * perStep / examples.size(), m.loss(),
                validation == null || validation.bestStep() < 0 ? "" : String.format(Locale.ROOT,
                    ", val loss %.4f (best %.4f)", lastValidation[0], validation.bestLoss()),
                m.lr(), tps));
            if (measured != null && measured.stop() && m.step() < steps) throw new StoppedEarly();
            if (stop.requested() && m.step() < steps) {
              try {
                trainer.saveCheckpoint(checkpoints.resolve("checkpoint-" + m.step() + ".safetensors"));
                pruneCheckpoints(checkpoints);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              throw new Stopped();
            }
          });
        } catch (Stopped e) {
          stopped = true;
        } catch (StoppedEarly e) {
          stoppedEarly = true;
        } catch (java.io.UncheckedIOException e) {
          throw e.getCause();
        } catch (TrainingDivergedException e) {
          throw diverged(e.step(), e.getMessage(), checkpoints);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (!curve.isEmpty() && !stop.exiting()) {
        // Not while the JVM exits: the charting library may not start then.
        Charts.lossCurve(out.resolve(CHART_FILE), curve, validationCurve);
      }
      if (stopped) {
        Optional<Path> at = Trainer.latestCheckpoint(checkpoints);
        if (at.isEmpty()) out.deleteOwn(CHECKPOINTS, LOG_FILE); // nothing to continue: leave no run behind
        err.println(optimizer.stepCount() == 0 || at.isEmpty()
            ? "Stopped before the first step; nothing was trained."
            : "Stopped at step " + optimizer.stepCount() + " of " + steps + "; checkpoint " + at.get()
                + "; continue with the same command and --resume.");
        err.flush();
      } else {
        try {
          lora.save(out.path());
        } catch (IllegalArgumentException e) {
          throw diverged(optimizer.stepCount(), "the adapter after step " + optimizer.stepCount() + " is not finite ("
              + e.getMessage().replaceAll("\\.$", "") + "); it was not written", checkpoints);
        }
        TrainingArgs.write(out.resolve(TrainingArgs.FILE), args);
      }
      decoder.setLora(null);
      return new Outcome(optimizer.stepCount(), last[0], seconds, tokens[0], stopped, data.skipped(), false,
          stoppedEarly);
    } finally {
      decoder.setLora(null);
    }
  }

  private static AdamW.Settings adamW(TrainSettings s) {
    return new AdamW.Settings(0.9, 0.999, 1e-8, s.weightDecay());
  }

  private static Trainer.Settings trainerSettings(TrainSettings s, int steps, Path checkpoints, LoadedModel model) {
    return new Trainer.Settings(s.batchSize(), s.gradAccum(), steps,
        LrSchedule.named(s.schedule(), s.lr(), s.warmup(), steps), s.maxGradNorm(), s.checkpointEvery(), checkpoints,
        s.seed(), model.tokenizer().specialTokens().paddingId());
  }

  /**
   * Trains as rank {@code parallel.rank()} (not 0) of data-parallel training: the same adapter and steps as rank 0's
   * {@link #run}, which writes everything; this rank writes nothing and returns when the run ends or rank 0 leaves it.
   */
  static void trainAsRank(LoadedModel model, Backend backend, List<Example> examples, TrainSettings s,
      DataParallel parallel) throws IOException {
    Decoder decoder = model.decoder();
    LoraSpec spec = LoraSpec.of(loraConfig(s, model.folder().path().toAbsolutePath().normalize().toString()),
        decoder.config());
    int steps = s.steps(examples.size());
    try (LoraWeights lora = LoraWeights.init(spec, backend, s.seed());
        AdamW optimizer = new AdamW(backend, lora.parameters(), adamW(s))) {
      decoder.setLora(lora);
      decoder.setCheckpointing(s.activationCheckpointing());
      // No checkpoints here (rank 0 writes them): the interval is kept only for the settings' checks.
      new Trainer(decoder, lora, optimizer, trainerSettings(s, steps, Path.of("."), model), examples)
          .skipNonFiniteSteps(s.skipNonFinite()).dataParallel(parallel).train(null);
    } finally {
      decoder.setLora(null);
    }
  }

  /** Whether {@code out} holds a run: a checkpoint, a training log or an adapter. */
  static boolean holdsRun(OutputFolder out) throws IOException {
    return Trainer.latestCheckpoint(out.resolve(CHECKPOINTS)).isPresent() || Files.exists(out.resolve(LOG_FILE))
        || Files.exists(out.resolve(PeftAdapter.WEIGHTS_FILE));
  }

  /**
   * Checks that the run in {@code out} can be continued with {@code args} up to step {@code steps} (below 0: not
   * known yet, and {@code args} has none); true when it is already finished.
   *
   * @throws IllegalArgumentException naming what stands in the way
   */
  static boolean checkResume(OutputFolder out, ObjectNode args, Optional<Path> latest, int steps)
      throws IOException {
    boolean finished = Files.isRegularFile(out.resolve(PeftAdapter.WEIGHTS_FILE))
        && Files.isRegularFile(out.resolve(TrainingArgs.FILE));
    Path savedFile = latest.isPresent() && !finished ? out.resolve(CHECKPOINTS).resolve(TrainingArgs.FILE)
        : out.resolve(TrainingArgs.FILE);
    if (latest.isEmpty() && !finished) {
      throw new IllegalArgumentException("--resume was given but " + out + " holds no checkpoint to continue; "
          + "leave out --resume to start a run there.");
    }
    if (!Files.isRegularFile(savedFile)) {
      throw new IllegalArgumentException("--resume: the checkpoint in " + out + " has no " + TrainingArgs.FILE
          + " (an older lorakit wrote it), so it cannot be checked to be this run; start again with --overwrite.");
    }
    ObjectNode saved = TrainingArgs.read(savedFile);
    int reached = finished ? saved.path("steps").asInt() : (int) Trainer.stepOf(latest.get());
    if (steps >= 0 && steps < reached) {
      throw new IllegalArgumentException("--resume: this run would end at step " + steps + " (--max-steps), but the"
          + " run in " + out + " has already reached step " + reached + "; give --max-steps "
          + saved.path("steps").asInt() + " as the run had.");
    }
    String difference = TrainingArgs.firstDifference(saved, args);
    if (difference != null) {
      throw new IllegalArgumentException("--resume: the run in " + out + " was made with other settings: "
          + difference + "; resume it with its own options, or start again with --overwrite.");
    }
    return finished;
  }

  /** The sentence for a run that diverged at {@code step}, naming the last finite checkpoint. */
  private static IllegalArgumentException diverged(int step, String what, Path checkpoints) throws IOException {
    Optional<Path> last = Trainer.latestCheckpoint(checkpoints);
    String w = what.replaceAll("\\.$", "").replaceFirst("^Training (stopped|diverged) (at|by) step \\d+: ", "");
    w = w.replaceFirst("; lower the learning rate or check the data$", "");
    return new IllegalArgumentException("Training diverged at step " + step + ": " + w + "; "
        + (last.isPresent() ? "the last finite checkpoint is " + last.get() + " (step " + Trainer.stepOf(last.get())
            + "); lower --lr (or check the data) and start again with --overwrite."
            : "no checkpoint was written before it, and nothing is kept; lower --lr (or check the data) and start "
                + "again."));
  }

  /**
   * Keeps the log lines of steps up to {@code step}, adding their losses to {@code curve} and their validation
   * losses to {@code validation}; returns the elapsed time and tokens at that step.
   */
  private static double[] keepLogUpTo(Path log, int step, List<TrainingPoint> curve, List<TrainingPoint> validation)
      throws IOException {
    if (!Files.exists(log)) return new double[] {0, 0};
    List<String> kept = new ArrayList<>();
    double[] at = {0, 0};
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      var node = JSON.readTree(line);
      if (node.path("step").asInt() <= step) {
        kept.add(line);
        if (node.path("loss").isNumber()) curve.add(new TrainingPoint(node.path("step").asInt(), node.path("loss").asDouble()));
        if (node.has("val_loss")) {
          // A non-finite measurement is logged as null; it still counted against the patience.
          validation.add(new TrainingPoint(node.path("step").asInt(),
              node.path("val_loss").isNumber() ? node.path("val_loss").asDouble() : Double.NaN));
          continue;
        }
        at[0] = node.path("elapsed").asDouble();
        at[1] = node.path("tokens").asLong();
      }
    }
    TinyModel.writeText(log, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    return at;
  }

  /** Keeps only the newest checkpoint. */
  private static void pruneCheckpoints(Path dir) throws IOException {
    Optional<Path> latest = Trainer.latestCheckpoint(dir);
    if (latest.isEmpty()) return;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith("checkpoint-") && name.endsWith(".safetensors") && !p.equals(latest.get())) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
