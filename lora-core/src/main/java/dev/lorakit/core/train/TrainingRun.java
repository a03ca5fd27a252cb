package dev.lorakit.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.AtomicFile;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.optim.AdamW;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A whole LoRA training run, as transformers' {@code Trainer.train()} makes one: the {@link
 * Trainer}'s steps, and with a run folder the record of them, from which the run can be continued:
 *
 * <pre>
 * FOLDER/training_log.jsonl                     one line per step: step, loss, grad_norm, lr, tokens, elapsed;
 *                                               with validation, one line per measurement: step, val_loss
 * FOLDER/checkpoints/checkpoint-STEP.safetensors the newest checkpoints (adapter + AdamW moments), the last N kept
 * FOLDER/checkpoints/best/                      with validation: the adapter of the lowest validation loss
 * FOLDER/adapter_config.json, adapter_model.safetensors   the adapter of the last step (written at the end)
 * </pre>
 *
 * <p>{@link #requestStop()} (from any thread) ends the run at the next step boundary with a
 * checkpoint written. {@linkplain Builder#resume Resuming} continues from the newest checkpoint bit
 * for bit as if never stopped: the log is cut back to the checkpoint's step and the validation
 * bookkeeping (best loss, its step, measurements since) is replayed from its validation lines. A
 * checkpoint records what the run computes (the settings, the data, the adapter's configuration),
 * and resuming it with anything else is refused, naming the first difference. With validation,
 * early stopping ends the run as finished: the adapter in the folder is always the last step's.
 *
 * <p>Without a folder the run keeps nothing on disk; the adapter is the decoder's, trained in
 * place.
 *
 * <p>With {@linkplain Builder#dataParallel data parallelism} every rank builds the same run (the
 * same data, settings, adapter configuration, folder and resume): rank 0 is the run as described
 * here, and alone writes the folder, measures the validation and heeds stop requests; the other
 * ranks write nothing and end with rank 0, as {@link Ending#STOPPED} when it left before the last
 * step. A run resumes at any world size.
 */
public final class TrainingRun {

  /** The training log's file name in the run folder. */
  public static final String LOG_FILE = "training_log.jsonl";

  /** The checkpoints' folder in the run folder. */
  public static final String CHECKPOINTS = "checkpoints";

  /** The best adapter's folder in {@link #CHECKPOINTS}. */
  public static final String BEST = "best";

  /** Steps between checkpoints, by default. */
  public static final int DEFAULT_CHECKPOINT_EVERY = 100;

  /** Checkpoints kept, by default: the newest. */
  public static final int DEFAULT_KEEP_CHECKPOINTS = 1;

  private static final String RUN_METADATA = "lorakit.run";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How a run ended. */
  public enum Ending {
    /** All steps done; the adapter is in the folder. */
    FINISHED,
    /** Early stopping ended it as finished; the adapter (the last step's) is in the folder. */
    STOPPED_EARLY,
    /** Stopped on request at a step boundary; the newest checkpoint is where to resume. */
    STOPPED,
    /** A resumed run that had already finished: nothing was done. */
    ALREADY_FINISHED
  }

  /**
   * What a run did.
   *
   * @param ending how it ended
   * @param steps steps done in total (a resumed run's earlier steps included)
   * @param lastLoss the loss of the last step of this call (NaN when it made none)
   * @param tokens tokens processed in this call
   * @param seconds wall time of this call
   */
  public record Result(Ending ending, int steps, double lastLoss, long tokens, double seconds) {}

  /**
   * One step done, as a progress display wants it.
   *
   * @param metrics what the step did
   * @param startStep the step this call started from (0, or a resumed checkpoint's)
   * @param steps the run's steps in total
   * @param tokens tokens processed in this call so far
   * @param seconds wall time of this call so far
   * @param validation the validation measurement of this step, or null
   * @param lastValidationLoss the latest validation loss measured in the run (NaN before the first)
   */
  public record Progress(
      Trainer.StepMetrics metrics,
      int startStep,
      int steps,
      long tokens,
      double seconds,
      Validation.Outcome validation,
      double lastValidationLoss) {}

  /** Receives every step once it is logged and checkpointed. */
  @FunctionalInterface
  public interface Listener {
    void onStep(Progress progress);
  }

  private final Decoder decoder;
  private final LoraWeights lora;
  private final List<Example> data;
  private final Trainer.Settings settings;
  private final AdamW.Settings optimizer;
  private final Validation validation;
  private final Path folder;
  private final boolean resume;
  private final int checkpointEvery;
  private final int keepCheckpoints;
  private final boolean skipNonFinite;
  private final Listener listener;
  private final BooleanSupplier stopWhen;
  private final DataParallel parallel;
  private Trainer trainer; // of the current call to run
  private volatile boolean stopRequested;

  private TrainingRun(Builder b) {
    this.decoder = b.decoder;
    this.lora = b.decoder.lora();
    this.data = b.data;
    this.settings = b.settings;
    this.optimizer = b.optimizer;
    this.parallel = b.parallel;
    boolean leads = b.parallel == null || b.parallel.rank() == 0;
    // Another rank follows rank 0: it has no folder of its own, no validation and no stop of its
    // own.
    this.validation = leads ? b.validation : null;
    this.folder = leads ? b.folder : null;
    this.resume = leads && b.resume;
    this.checkpointEvery = b.checkpointEvery;
    this.keepCheckpoints = b.keepCheckpoints;
    this.skipNonFinite = b.skipNonFinite;
    this.listener = b.listener;
    this.stopWhen = leads ? b.stopWhen : null;
  }

  /**
   * A run that trains the LoRA adapter set on {@code decoder} on {@code data}.
   *
   * @throws IllegalArgumentException when the decoder carries no adapter
   */
  public static Builder builder(Decoder decoder, List<Example> data) {
    if (decoder.lora() == null) {
      throw new IllegalArgumentException(
          "The decoder carries no LoRA adapter to train; set one first.");
    }
    return new Builder(decoder, data);
  }

  /**
   * Asks the run to end at the next step boundary, with a checkpoint; safe from any thread. Under
   * data parallelism only rank 0's request counts (it ends the other ranks' runs too).
   */
  public void requestStop() {
    if (parallel == null
        || parallel.rank() == 0) { // another rank stopping alone would leave rank 0 waiting
      stopRequested = true;
    }
  }

  /** The validation of this run, with its bookkeeping (best loss and step), or null without one. */
  public Validation validation() {
    return validation;
  }

  /** Whether {@code folder} holds a run: a checkpoint, a training log or an adapter. */
  public static boolean holdsRun(Path folder) throws IOException {
    return Trainer.latestCheckpoint(folder.resolve(CHECKPOINTS)).isPresent()
        || Files.exists(folder.resolve(LOG_FILE))
        || Files.exists(folder.resolve(PeftAdapter.WEIGHTS_FILE));
  }

  /**
   * Trains to the last step, or to a stop request or early stopping.
   *
   * @throws LorakitInputException when a new run's folder holds a run, or a resumed one holds none
   *     or one made with other settings or data
   * @throws TrainingDivergedException when the loss, a gradient or a weight is not finite (unless
   *     such steps are skipped); nothing non-finite is written, and a new run that had written no
   *     checkpoint leaves no run behind
   */
  public Result run() throws IOException {
    trainer = null;
    Result r;
    try {
      r = runOrRefuse();
    } catch (IOException | RuntimeException | Error e) {
      leave(e);
      throw e;
    }
    if (r.ending() != Ending.FINISHED) {
      leave(null);
    }
    return r;
  }

  /** Rank 0 ending without the other ranks (refused, stopped, failed) releases them; once. */
  private void leave(Throwable why) {
    if (parallel == null || parallel.rank() != 0) {
      return;
    }
    if (trainer != null) {
      trainer.leave(why);
      return;
    }
    try {
      Trainer.leave(parallel); // refused before training: the other ranks wait to join
    } catch (RuntimeException e) {
      if (why == null) {
        throw e;
      }
      why.addSuppressed(e);
    }
  }

  private Result runOrRefuse() throws IOException {
    Map<String, String> fingerprint = Map.of(RUN_METADATA, fingerprint().toString());
    Optional<Path> latest = Optional.empty();
    if (folder != null) {
      latest = Trainer.latestCheckpoint(folder.resolve(CHECKPOINTS));
      if (resume) {
        if (latest.isPresent()) {
          requireSameRun(latest.get(), fingerprint.get(RUN_METADATA));
        }
        if (Files.isRegularFile(folder.resolve(PeftAdapter.WEIGHTS_FILE))) {
          return new Result(Ending.ALREADY_FINISHED, settings.steps(), Double.NaN, 0, 0);
        }
        if (latest.isEmpty()) {
          throw new LorakitInputException(folder + " holds no checkpoint of a run to continue.");
        }
      } else if (holdsRun(folder)) {
        throw new LorakitInputException(
            folder
                + " already holds a training run; resume it, or train into "
                + "another folder.");
      }
      Files.createDirectories(folder.resolve(CHECKPOINTS));
    }
    try {
      return train(latest, fingerprint);
    } catch (IOException | RuntimeException | Error e) {
      if (folder != null
          && !resume
          && Trainer.latestCheckpoint(folder.resolve(CHECKPOINTS)).isEmpty()) {
        deleteRun(); // a new run that failed before its first checkpoint leaves nothing to continue
      }
      throw e;
    }
  }

  private Result train(Optional<Path> latest, Map<String, String> fingerprint) throws IOException {
    Path checkpoints = folder == null ? null : folder.resolve(CHECKPOINTS);
    Path log = folder == null ? null : folder.resolve(LOG_FILE);
    try (AdamW adamW = new AdamW(decoder.backend(), lora.parameters(), optimizer)) {
      Trainer trainer =
          new Trainer(decoder, lora, adamW, settings, data)
              .skipNonFiniteSteps(skipNonFinite)
              .dataParallel(parallel);
      this.trainer = trainer;
      double elapsedBefore = 0;
      long tokensBefore = 0;
      double lastValidation = Double.NaN;
      if (resume) {
        trainer.loadCheckpoint(latest.orElseThrow());
        LogState state = keepLogUpTo(log, trainer.stepCount());
        elapsedBefore = state.elapsed;
        tokensBefore = state.tokens;
        lastValidation = state.lastValidation;
      }
      int steps = settings.steps();
      // Every rank takes rank 0's step (and adapter) before the loop tests it.
      boolean joined = parallel == null || trainer.join();
      int startStep = trainer.stepCount();
      long start = System.nanoTime();
      long tokens = 0;
      double last = Double.NaN;
      Ending ending = joined ? Ending.FINISHED : Ending.STOPPED;
      try (BufferedWriter logOut =
          log == null
              ? null
              : Files.newBufferedWriter(
                  log,
                  StandardCharsets.UTF_8,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.APPEND)) {
        while (trainer.stepCount() < steps && ending == Ending.FINISHED) {
          if (stopRequested) { // before the first step: nothing was trained in this call
            ending = Ending.STOPPED;
            break;
          }
          Trainer.StepMetrics m = trainer.step();
          if (m == null) { // rank 0 has left the run
            ending = Ending.STOPPED;
            break;
          }
          tokens += m.tokens();
          last = m.loss();
          double seconds = (System.nanoTime() - start) / 1e9;
          if (logOut != null) {
            writeLine(logOut, stepLine(m, tokensBefore + tokens, elapsedBefore + seconds));
          }
          Validation.Outcome measured = null;
          if (validation != null && validation.due(m.step(), steps)) {
            // Before the step's checkpoint: a checkpoint's log is complete.
            measured = validation.measure(decoder, m.step());
            lastValidation = measured.loss();
            if (logOut != null) {
              ObjectNode v = JSON.createObjectNode().put("step", m.step());
              if (Double.isFinite(measured.loss())) {
                v.put("val_loss", measured.loss());
              } else {
                v.putNull("val_loss"); // JSON has no NaN; it still counts against the patience
              }
              writeLine(logOut, v);
            }
            if (measured.improved() && folder != null) {
              lora.save(checkpoints.resolve(BEST));
            }
          }
          if (logOut != null) {
            logOut.flush();
          }
          boolean checkpointed = false;
          if (folder != null && checkpointEvery > 0 && m.step() % checkpointEvery == 0) {
            saveCheckpoint(trainer, m.step(), fingerprint);
            checkpointed = true;
          }
          if (listener != null) { // it may request a stop
            listener.onStep(
                new Progress(
                    m,
                    startStep,
                    steps,
                    tokens,
                    (System.nanoTime() - start) / 1e9,
                    measured,
                    lastValidation));
          }
          if (measured != null && measured.stop() && m.step() < steps) {
            ending = Ending.STOPPED_EARLY;
          } else if ((stopRequested || stopWhen != null && stopWhen.getAsBoolean())
              && m.step() < steps) {
            if (folder != null && !checkpointed) {
              saveCheckpoint(trainer, m.step(), fingerprint);
            }
            ending = Ending.STOPPED;
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (ending == Ending.STOPPED) {
        if (folder != null && Trainer.latestCheckpoint(checkpoints).isEmpty()) {
          deleteRun(); // nothing to continue: leave no run behind
        }
      } else if (folder != null) {
        saveAdapter(trainer.stepCount());
      }
      return new Result(ending, trainer.stepCount(), last, tokens, seconds);
    }
  }

  private void saveCheckpoint(Trainer trainer, int step, Map<String, String> fingerprint)
      throws IOException {
    Path dir = folder.resolve(CHECKPOINTS);
    trainer.saveCheckpoint(dir.resolve("checkpoint-" + step + ".safetensors"), fingerprint);
    pruneCheckpoints(dir, keepCheckpoints);
  }

  private void saveAdapter(int step) throws IOException {
    try {
      lora.save(folder);
    } catch (LorakitInputException e) {
      throw new TrainingDivergedException(
          step,
          "Training diverged at step "
              + step
              + ": the adapter after step "
              + step
              + " is not finite ("
              + e.getMessage().replaceAll("\\.$", "")
              + "); it was not written.");
    }
  }

  private static ObjectNode stepLine(Trainer.StepMetrics m, long tokens, double elapsed) {
    ObjectNode line = JSON.createObjectNode().put("step", m.step());
    if (Double.isFinite(m.loss()) && Double.isFinite(m.gradNorm())) {
      line.put("loss", m.loss());
      line.put("grad_norm", m.gradNorm());
    } else { // a skipped step: JSON has no NaN
      line.putNull("loss");
      line.putNull("grad_norm");
      line.put("skipped", true);
    }
    line.put("lr", m.lr());
    line.put("tokens", tokens);
    line.put("elapsed", Math.round(elapsed * 1000) / 1000.0);
    return line;
  }

  private static void writeLine(BufferedWriter out, ObjectNode line) throws IOException {
    out.write(line.toString());
    out.newLine();
  }

  private void deleteRun() throws IOException {
    OutputFolder.deleteTree(folder.resolve(CHECKPOINTS));
    Files.deleteIfExists(folder.resolve(LOG_FILE));
  }

  // ---- resuming
  // --------------------------------------------------------------------------------------

  /** Where the log left off at a checkpoint's step. */
  private record LogState(double elapsed, long tokens, double lastValidation) {}

  /**
   * Keeps the log's lines of steps up to {@code step}, replaying their validation measurements into
   * the bookkeeping; returns the elapsed time and tokens at that step.
   */
  private LogState keepLogUpTo(Path log, int step) throws IOException {
    if (!Files.exists(log)) {
      return new LogState(0, 0, Double.NaN);
    }
    List<String> kept = new ArrayList<>();
    double elapsed = 0;
    long tokens = 0;
    double lastValidation = Double.NaN;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode node = JSON.readTree(line);
      int at = node.path("step").asInt();
      if (at > step) {
        continue;
      }
      kept.add(line);
      if (node.has("val_loss")) {
        // A non-finite measurement is logged as null; it still counted against the patience.
        lastValidation =
            node.path("val_loss").isNumber() ? node.path("val_loss").asDouble() : Double.NaN;
        if (validation != null) {
          validation.record(at, lastValidation);
        }
      } else {
        elapsed = node.path("elapsed").asDouble();
        tokens = node.path("tokens").asLong();
      }
    }
    try (AtomicFile f = AtomicFile.create(log)) {
      f.write(
          ByteBuffer.wrap(
              (kept.isEmpty() ? "" : String.join("\n", kept) + "\n")
                  .getBytes(StandardCharsets.UTF_8)));
      f.commit();
    }
    return new LogState(elapsed, tokens, lastValidation);
  }

  /**
   * What the run computes, recorded in each checkpoint: a run resumed with any of it changed would
   * not repeat the run. (Where it runs, how often it checkpoints and whether it recomputes
   * activations are left out.)
   */
  private ObjectNode fingerprint() {
    ObjectNode n = JSON.createObjectNode();
    n.put("steps", settings.steps());
    n.put("batch_size", settings.batchSize());
    n.put("grad_accum", settings.gradAccum());
    n.put("seed", settings.seed());
    n.put("max_grad_norm", settings.maxGradNorm());
    StringBuilder lr = new StringBuilder();
    for (int s = 0; s < settings.steps(); s++) {
      lr.append(Double.doubleToLongBits(settings.schedule().at(s))).append(',');
    }
    n.put("lr_schedule_sha256", sha256(lr.toString().getBytes(StandardCharsets.UTF_8)));
    n.put("adam_beta1", optimizer.beta1());
    n.put("adam_beta2", optimizer.beta2());
    n.put("adam_epsilon", optimizer.eps());
    n.put("weight_decay", optimizer.weightDecay());
    n.put("skip_nonfinite", skipNonFinite);
    ObjectNode config = lora.spec().config().toJson();
    config.remove("base_model_name_or_path"); // a model folder moved is the same model
    config.properties().forEach(e -> n.set("lora." + e.getKey(), e.getValue()));
    n.put("data_sha256", sha256(data));
    if (validation != null) {
      n.put("eval_every", validation.settings().every());
      n.put("early_stopping_patience", validation.settings().patience());
      n.put("eval_data_sha256", sha256(validation.heldOut()));
    }
    return n;
  }

  /** Refuses a checkpoint written by a run that computed something else than this one. */
  private void requireSameRun(Path checkpoint, String fingerprint) throws IOException {
    String saved;
    try (SafeTensorsFile f = SafeTensorsFile.open(checkpoint)) {
      saved = f.metadata().get(RUN_METADATA);
    }
    if (saved == null) {
      // Written by Trainer alone: the seed is all it records, and loadCheckpoint checks that.
      return;
    }
    JsonNode then = JSON.readTree(saved);
    JsonNode now = JSON.readTree(fingerprint); // both as parsed from text: the same node types
    List<String> keys = new ArrayList<>();
    then.fieldNames().forEachRemaining(keys::add);
    now.fieldNames()
        .forEachRemaining(
            k -> {
              if (!keys.contains(k)) {
                keys.add(k);
              }
            });
    for (String key : keys) {
      JsonNode a = then.get(key);
      JsonNode b = now.get(key);
      boolean same =
          a != null
              && b != null
              && (a.isNumber() && b.isNumber() ? a.asDouble() == b.asDouble() : a.equals(b));
      if (!same) {
        throw new LorakitInputException(
            "The run in "
                + folder
                + " was made with other settings or data: "
                + key
                + " was "
                + text(a)
                + ", now "
                + text(b)
                + "; resume it as it was, or start a new run.");
      }
    }
  }

  private static String text(JsonNode n) {
    if (n == null) {
      return "not set";
    }
    String t = n.isTextual() ? n.asText() : n.toString();
    return t.length() > 80 ? t.substring(0, 12) + "…" : t;
  }

  private static String sha256(List<Example> examples) {
    StringBuilder s = new StringBuilder();
    for (Example e : examples) {
      for (int id : e.ids()) {
        s.append(id).append(' ');
      }
      s.append('|');
      for (int label : e.labels()) {
        s.append(label).append(' ');
      }
      s.append('\n');
    }
    return sha256(s.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java has no SHA-256", e);
    }
  }

  /** Keeps the newest {@code keep} checkpoints of {@code dir}. */
  private static void pruneCheckpoints(Path dir, int keep) throws IOException {
    List<Path> all;
    try (Stream<Path> files = Files.list(dir)) {
      all =
          files
              .filter(p -> Trainer.stepOf(p) >= 0)
              .sorted((a, b) -> Long.compare(Trainer.stepOf(b), Trainer.stepOf(a)))
              .toList();
    }
    for (Path p : all.subList(Math.min(keep, all.size()), all.size())) {
      Files.deleteIfExists(p);
    }
  }

  /**
   * Builds a {@link TrainingRun}; everything but the decoder, the data and the steps has a default.
   */
  public static final class Builder {
    private final Decoder decoder;
    private final List<Example> data;
    private Trainer.Settings settings;
    private AdamW.Settings optimizer = AdamW.Settings.defaults();
    private Validation validation;
    private List<Example> heldOut;
    private Validation.Settings validationSettings;
    private Path folder;
    private boolean resume;
    private int checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
    private int keepCheckpoints = DEFAULT_KEEP_CHECKPOINTS;
    private boolean skipNonFinite;
    private Listener listener;
    private BooleanSupplier stopWhen;
    private Integer padId;
    private DataParallel parallel;

    private Builder(Decoder decoder, List<Example> data) {
      this.decoder = decoder;
      this.data = List.copyOf(data);
    }

    /** The steps and how to take them (required; its own checkpoint settings are not used). */
    public Builder settings(Trainer.Settings settings) {
      this.settings = settings;
      return this;
    }

    /** AdamW's hyperparameters (default: {@link AdamW.Settings#defaults()}). */
    public Builder optimizer(AdamW.Settings optimizer) {
      this.optimizer = optimizer;
      return this;
    }

    /**
     * Measures a held-out loss while training, keeps the best adapter, and may stop early (default:
     * none).
     */
    public Builder validation(Validation validation) {
      this.validation = validation;
      this.heldOut = null;
      return this;
    }

    /**
     * {@link #validation(Validation)} on {@code heldOut}, in batches of the training batch size
     * padded as the training batches are.
     */
    public Builder validation(List<Example> heldOut, Validation.Settings when) {
      this.heldOut = List.copyOf(heldOut);
      this.validationSettings = when;
      this.validation = null;
      return this;
    }

    /** The run folder (default: none, nothing is written). */
    public Builder folder(Path folder) {
      this.folder = folder;
      return this;
    }

    /** Continue the run in the folder from its newest checkpoint (default: false, a new run). */
    public Builder resume(boolean resume) {
      this.resume = resume;
      return this;
    }

    /** Steps between checkpoints; 0 for none but the one a stop request writes (default 100). */
    public Builder checkpointEvery(int steps) {
      this.checkpointEvery = steps;
      return this;
    }

    /** How many of the newest checkpoints to keep (default 1). */
    public Builder keepCheckpoints(int keep) {
      this.keepCheckpoints = keep;
      return this;
    }

    /**
     * Skip a step whose loss or gradient norm is not finite (its update is dropped) instead of
     * ending the run (default: false).
     */
    public Builder skipNonFiniteSteps(boolean skip) {
      this.skipNonFinite = skip;
      return this;
    }

    /**
     * A condition asked once after each step (but the last): true ends the run there as {@link
     * TrainingRun#requestStop()} does (default: none).
     */
    public Builder stopWhen(BooleanSupplier condition) {
      this.stopWhen = condition;
      return this;
    }

    /** The token id to pad with, in place of the settings' (default: the settings'). */
    public Builder padId(int padId) {
      this.padId = padId;
      return this;
    }

    /**
     * Makes this run rank {@code parallel.rank()} of data-parallel training (see {@link
     * TrainingRun} and {@link Trainer#dataParallel}); every rank builds the same run (default:
     * none, one device).
     */
    public Builder dataParallel(DataParallel parallel) {
      this.parallel = parallel;
      return this;
    }

    /** Receives every step (default: none). */
    public Builder listener(Listener listener) {
      this.listener = listener;
      return this;
    }

    /**
     * The run.
     *
     * @throws LorakitInputException when the settings are missing or out of range, a resumed run
     *     has no folder, no held-out example has a token to predict, or the world size does not
     *     divide each step's micro-batches
     */
    public TrainingRun build() {
      if (settings == null) {
        throw new LorakitInputException(
            "A training run needs its settings (the number of steps at least).");
      }
      if (checkpointEvery < 0 || keepCheckpoints < 1) {
        throw new LorakitInputException(
            "A training run needs a checkpoint interval of 0 or more and keeps at "
                + "least one checkpoint; got "
                + checkpointEvery
                + " and "
                + keepCheckpoints
                + ".");
      }
      if (resume && folder == null) {
        throw new LorakitInputException("Only a run with a folder can be resumed.");
      }
      if (data.size() < settings.batchSize()) {
        throw new LorakitInputException(
            "There are "
                + data.size()
                + " training examples, fewer than one "
                + "batch of "
                + settings.batchSize()
                + ".");
      }
      // The run keeps its own checkpoints; the trainer writes none.
      settings =
          new Trainer.Settings(
              settings.batchSize(),
              settings.gradAccum(),
              settings.steps(),
              settings.schedule(),
              settings.maxGradNorm(),
              0,
              null,
              settings.seed(),
              padId != null ? padId : settings.padId());
      Trainer.requireShares(settings, parallel);
      if (heldOut != null) {
        validation =
            new Validation(heldOut, settings.batchSize(), settings.padId(), validationSettings);
      }
      return new TrainingRun(this);
    }
  }
}
