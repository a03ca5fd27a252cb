package dev.lorakit.core.train;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.GradClip;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Trains the LoRA matrices of a decoder: seeded shuffling, right-padded batches, gradient
 * accumulation, clipping, AdamW with a schedule, and checkpoints from which a run resumes bit for
 * bit.
 *
 * <p>All randomness is a function of the seed and the step: the data order of epoch e is a
 * permutation drawn from {@code (seed, e)}, and the dropout masks of a micro-batch from {@code
 * (seed, micro-batch index)}. A checkpoint therefore needs only the adapter, the optimizer moments,
 * the step and the seed.
 *
 * <p>This is one step at a time ({@link #step()}) or a plain loop over them ({@link #train}); a
 * whole run with a folder, a log, rotated checkpoints, resume, a stop request and validation is a
 * {@link TrainingRun}.
 *
 * <p>With {@link #dataParallel} it is one rank of several that train together: each takes its share
 * of every step's micro-batches, and the gradients are summed across the ranks before clipping (see
 * there).
 */
public final class Trainer {

  /**
   * How to train. {@link #builder()} starts from the defaults, which the {@code lorakit train}
   * command shares.
   *
   * @param batchSize sequences per micro-batch ({@value #DEFAULT_BATCH_SIZE})
   * @param gradAccum micro-batches per optimizer step ({@value #DEFAULT_GRAD_ACCUM})
   * @param steps optimizer steps in total
   * @param schedule the learning rate per step ({@value #DEFAULT_SCHEDULE}, peak {@value
   *     #DEFAULT_LR}, {@value #DEFAULT_WARMUP} warmup steps)
   * @param maxGradNorm global-norm clipping threshold, 0 for none ({@value #DEFAULT_MAX_GRAD_NORM})
   * @param checkpointEvery {@link Trainer#train} writes a checkpoint every this many steps (0:
   *     never; a {@link TrainingRun} keeps its own, and this stays 0)
   * @param checkpointDir where those checkpoints go ({@code checkpoint-<step>.safetensors})
   * @param seed seed of the data order and the dropout masks ({@value #DEFAULT_SEED})
   * @param padId token id used to pad short sequences (their labels are ignored, so it changes no
   *     result; a {@code LoraModel} uses its tokenizer's)
   */
  public record Settings(
      int batchSize,
      int gradAccum,
      int steps,
      LrSchedule schedule,
      double maxGradNorm,
      int checkpointEvery,
      Path checkpointDir,
      long seed,
      int padId) {

    /** Sequences per micro-batch. */
    public static final int DEFAULT_BATCH_SIZE = 4;

    /** Micro-batches per optimizer step: 16 sequences per step with the batch size. */
    public static final int DEFAULT_GRAD_ACCUM = 4;

    /**
     * The peak learning rate of a LoRA run (PEFT's examples; transformers' 5e-5 is for full
     * fine-tuning).
     */
    public static final double DEFAULT_LR = 2e-4;

    /** The schedule after warmup ({@link LrSchedule#named}). */
    public static final String DEFAULT_SCHEDULE = "cosine";

    /** Linear warmup steps. */
    public static final int DEFAULT_WARMUP = 10;

    /** transformers' {@code max_grad_norm}. */
    public static final double DEFAULT_MAX_GRAD_NORM = 1.0;

    /** transformers' {@code seed}. */
    public static final long DEFAULT_SEED = 42;

    public Settings {
      if (batchSize < 1
          || gradAccum < 1
          || steps < 0
          || !(maxGradNorm >= 0)
          || checkpointEvery < 0) {
        throw new LorakitInputException(
            "Training needs a batch size and gradient accumulation of at least 1 "
                + "and non-negative steps, clipping norm and checkpoint interval; got "
                + batchSize
                + ", "
                + gradAccum
                + ", "
                + steps
                + ", "
                + maxGradNorm
                + " and "
                + checkpointEvery
                + ".");
      }
      if (schedule == null) {
        throw new IllegalArgumentException("Training needs a learning-rate schedule.");
      }
      if (checkpointEvery > 0 && checkpointDir == null) {
        throw new IllegalArgumentException(
            "Checkpoints every " + checkpointEvery + " steps need a checkpoint folder.");
      }
    }

    /** A builder starting from the defaults; only the number of steps must be given. */
    public static Builder builder() {
      return new Builder();
    }

    /** These settings with another pad id. */
    public Settings withPadId(int padId) {
      return new Settings(
          batchSize,
          gradAccum,
          steps,
          schedule,
          maxGradNorm,
          checkpointEvery,
          checkpointDir,
          seed,
          padId);
    }

    /**
     * Builds {@link Settings}. The schedule is {@link LrSchedule#named} from the name, peak
     * learning rate and warmup set here and the number of steps, unless one is given whole with
     * {@link #schedule(LrSchedule)}.
     */
    public static final class Builder {
      private int batchSize = DEFAULT_BATCH_SIZE;
      private int gradAccum = DEFAULT_GRAD_ACCUM;
      private int steps = -1;
      private double lr = DEFAULT_LR;
      private String scheduleName = DEFAULT_SCHEDULE;
      private int warmup = DEFAULT_WARMUP;
      private LrSchedule schedule;
      private double maxGradNorm = DEFAULT_MAX_GRAD_NORM;
      private long seed = DEFAULT_SEED;
      private int padId;

      private Builder() {}

      /** Sequences per micro-batch. */
      public Builder batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
      }

      /** Micro-batches per optimizer step. */
      public Builder gradAccum(int gradAccum) {
        this.gradAccum = gradAccum;
        return this;
      }

      /** Optimizer steps in total (required). */
      public Builder steps(int steps) {
        this.steps = steps;
        return this;
      }

      /** The peak learning rate. */
      public Builder lr(double lr) {
        this.lr = lr;
        return this;
      }

      /** The schedule after warmup: {@code constant}, {@code linear} or {@code cosine}. */
      public Builder schedule(String name) {
        this.scheduleName = name;
        return this;
      }

      /** Linear warmup steps. */
      public Builder warmup(int warmup) {
        this.warmup = warmup;
        return this;
      }

      /** A schedule of one's own, in place of the name, peak and warmup. */
      public Builder schedule(LrSchedule schedule) {
        this.schedule = schedule;
        return this;
      }

      /** Global-norm clipping threshold (0: none). */
      public Builder maxGradNorm(double maxGradNorm) {
        this.maxGradNorm = maxGradNorm;
        return this;
      }

      /** Seed of the data order and the dropout masks. */
      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      /** Token id of the padding. */
      public Builder padId(int padId) {
        this.padId = padId;
        return this;
      }

      /**
       * The settings.
       *
       * @throws LorakitInputException when a value is out of range or the steps were not given
       */
      public Settings build() {
        if (steps < 0) {
          throw new LorakitInputException(
              "The number of training steps was not given (or is negative).");
        }
        if (!(lr > 0) || warmup < 0) {
          throw new LorakitInputException(
              "Training needs a positive learning rate and non-negative warmup; "
                  + "got "
                  + lr
                  + " and "
                  + warmup
                  + ".");
        }
        LrSchedule s = schedule != null ? schedule : named(scheduleName, lr, warmup, steps);
        return new Settings(batchSize, gradAccum, steps, s, maxGradNorm, 0, null, seed, padId);
      }

      private static LrSchedule named(String name, double lr, int warmup, int steps) {
        try {
          return LrSchedule.named(name, lr, warmup, steps);
        } catch (IllegalArgumentException e) {
          throw new LorakitInputException(e.getMessage(), e);
        }
      }
    }
  }

  /**
   * What one optimizer step did.
   *
   * @param step the number of steps done, this one included
   * @param loss mean loss over the step's counted tokens
   * @param lr the learning rate used
   * @param gradNorm the global gradient norm before clipping
   * @param tokens tokens processed in this step (padding included)
   * @param tokensPerSecond throughput of this step
   */
  public record StepMetrics(
      int step, double loss, double lr, double gradNorm, long tokens, double tokensPerSecond) {}

  /** Receives the metrics of every step (progress display, logs, charts). */
  @FunctionalInterface
  public interface Listener {
    void onStep(StepMetrics metrics);
  }

  /** A micro-batch, padded and shifted. */
  record Batch(int[] ids, int[] targets, int batch) {}

  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)\\.safetensors");

  private final Decoder decoder;
  private final LoraWeights lora;
  private final AdamW optimizer;
  private final Settings settings;
  private final List<Example> data;
  private boolean skipNonFinite;
  private int skipped;
  private DataParallel parallel;
  private boolean joined;
  private boolean left;

  /**
   * A trainer of the LoRA matrices set on {@code decoder} with {@code optimizer} over their
   * parameters.
   */
  public Trainer(Decoder decoder, AdamW optimizer, Settings settings, List<Example> data) {
    this(decoder, decoder.lora(), optimizer, settings, data);
  }

  /**
   * A trainer of {@code lora} (already set on {@code decoder}) with {@code optimizer} over its
   * parameters.
   */
  public Trainer(
      Decoder decoder, LoraWeights lora, AdamW optimizer, Settings settings, List<Example> data) {
    if (lora == null || decoder.lora() != lora) {
      throw new IllegalArgumentException(
          "The decoder must carry the LoRA matrices being trained (call setLora).");
    }
    if (data.size() < settings.batchSize()) {
      throw new LorakitInputException(
          "The training set has "
              + data.size()
              + " examples, fewer than one batch of "
              + settings.batchSize()
              + ".");
    }
    this.decoder = decoder;
    this.lora = lora;
    this.optimizer = optimizer;
    this.settings = settings;
    this.data = List.copyOf(data);
  }

  /**
   * Makes a step whose loss or gradient norm is not finite a skipped step instead of the end of
   * training: its update is dropped (the LoRA matrices and the AdamW moments stay as they were),
   * the step still counts, and the next step takes the next batch. The listener sees the skipped
   * step with its non-finite loss.
   */
  public Trainer skipNonFiniteSteps(boolean skip) {
    this.skipNonFinite = skip;
    return this;
  }

  /** How many steps {@link #skipNonFiniteSteps} has skipped in this trainer's runs. */
  public int skippedSteps() {
    return skipped;
  }

  /**
   * Runs from the optimizer's current step up to {@code settings.steps()}. Under {@link
   * #dataParallel}, a rank other than 0 also returns, early, when rank 0 has left the run (stopped
   * or failed between steps).
   */
  public void train(Listener listener) throws IOException {
    if (parallel == null) {
      trainSteps(listener);
      return;
    }
    try {
      trainSteps(listener);
    } catch (IOException | RuntimeException | Error e) {
      leave(e);
      throw e;
    }
  }

  private void trainSteps(Listener listener) throws IOException {
    if (parallel != null && !join()) {
      return; // rank 0 has left the run before its first step
    }
    while (optimizer.stepCount() < settings.steps()) {
      StepMetrics m = step();
      if (m == null) {
        return; // rank 0 has left the run
      }
      if (listener != null) {
        listener.onStep(m);
      }
      if (settings.checkpointEvery() > 0
          && m.step() % settings.checkpointEvery() == 0
          && (parallel == null || parallel.rank() == 0)) {
        saveCheckpoint(settings.checkpointDir().resolve("checkpoint-" + m.step() + ".safetensors"));
      }
    }
  }

  /**
   * Makes the optimizer step that follows the optimizer's current step: the forward and backward of
   * each micro-batch, the gradients summed over them (and, under {@link #dataParallel}, over the
   * ranks), then clipping, then AdamW.
   *
   * @return what the step did; null only under {@link #dataParallel} on a rank other than 0, when
   *     rank 0 has left the run instead of taking this step
   * @throws TrainingDivergedException when the loss or the gradient norm is not finite (unless such
   *     steps are {@linkplain #skipNonFiniteSteps skipped})
   */
  public StepMetrics step() {
    if (parallel != null && !joined && !join()) {
      return null;
    }
    decoder.setTraining(true);
    List<Parameter> params = lora.parameters();
    long start = System.nanoTime();
    int step = optimizer.stepCount();
    List<Batch> micro = new ArrayList<>();
    int counted = 0;
    for (int k = 0; k < settings.gradAccum(); k++) {
      Batch b = batch((long) step * settings.gradAccum() + k);
      micro.add(b);
      counted += CausalLmLoss.counted(b.targets());
    }
    lora.zeroGrad();
    double lossSum = 0;
    long tokens = 0;
    for (int k = 0; k < micro.size(); k++) {
      Batch b = micro.get(k);
      tokens += b.ids().length;
      if (!ownMicroBatch(k)) {
        continue;
      }
      decoder.setDropoutSeed(settings.seed() * 1_000_003L + (long) step * settings.gradAccum() + k);
      Activations a = decoder.forwardForLoss(b.ids(), b.batch());
      if (counted > 0) {
        // Hugging Face normalises by the tokens of the whole accumulated step, not per micro-batch.
        lossSum += decoder.backward(a, b.targets(), 1f / counted);
      }
    }
    if (parallel != null) {
      double[] sums = {lossSum, 0};
      parallel.sumScalars(sums);
      if (sums[1] > 0) {
        return null; // rank 0 has left the run
      }
      lossSum = sums[0];
      parallel.sumGradients(params.stream().map(Parameter::grad).toList());
    }
    double loss = counted == 0 ? 0 : lossSum / counted;
    double norm =
        settings.maxGradNorm() > 0
            ? GradClip.clip(decoder.backend(), params, settings.maxGradNorm())
            : GradClip.globalNorm(decoder.backend(), params);
    double lr = settings.schedule().at(step);
    if (Double.isFinite(loss) && Double.isFinite(norm)) {
      optimizer.step(lr);
    } else if (skipNonFinite) {
      skipped++;
      optimizer.setStepCount(step + 1);
    } else {
      throw new TrainingDivergedException(
          step + 1,
          "Training stopped at step "
              + (step + 1)
              + ": the loss is "
              + loss
              + " and the gradient norm "
              + norm
              + "; lower the learning rate or check the data.");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new StepMetrics(step + 1, loss, lr, norm, tokens, tokens / Math.max(seconds, 1e-9));
  }

  /** The number of optimizer steps done so far. */
  public int stepCount() {
    return optimizer.stepCount();
  }

  // ---- data parallelism
  // --------------------------------------------------------------------------------

  /**
   * Makes this trainer rank {@code parallel.rank()} of {@code parallel.worldSize()}, or a single
   * device again with null. Every rank has the same data, settings and seed, and so draws the same
   * global batches in the same order as one device would; of a step's {@code gradAccum}
   * micro-batches, rank r computes the r-th contiguous share (micro-batch k keeps its dropout seed
   * and its scale, 1 over the step's counted tokens). The ranks' gradient sums are then summed
   * across ranks, and every rank clips by the global norm and takes the same AdamW step. When each
   * rank has one micro-batch per step and the sum runs in rank order, that is the single device's
   * sum in the same order, bit for bit. Before the first step every rank takes rank 0's adapter,
   * moments and step (rank 0 has loaded the checkpoint when resuming), so a run resumes at any
   * world size; only rank 0 writes checkpoints.
   *
   * @throws LorakitInputException when {@code gradAccum} is not a multiple of the world size
   */
  public Trainer dataParallel(DataParallel parallel) {
    requireShares(settings, parallel);
    this.parallel = parallel;
    this.joined = false;
    this.left = false;
    return this;
  }

  /** Refuses a world size that does not divide each step's micro-batches. */
  static void requireShares(Settings settings, DataParallel parallel) {
    if (parallel != null && settings.gradAccum() % parallel.worldSize() != 0) {
      throw new LorakitInputException(
          "Training on "
              + parallel.worldSize()
              + " devices splits each step's "
              + settings.gradAccum()
              + " micro-batches (gradient accumulation) among them, so it must be a "
              + "multiple of "
              + parallel.worldSize()
              + ".");
    }
  }

  /** Whether micro-batch {@code k} of a step is this rank's to compute. */
  private boolean ownMicroBatch(int k) {
    if (parallel == null) {
      return true;
    }
    int share = settings.gradAccum() / parallel.worldSize();
    return k / share == parallel.rank();
  }

  /**
   * Every rank takes rank 0's step, adapter and AdamW moments; false when rank 0 has left instead.
   * The first sum has the shape of every step's (the loss, the word to leave), so rank 0 leaves the
   * same way before or during the run. {@link #step} joins by itself; a caller that tests the step
   * count before the first step joins first.
   */
  boolean join() {
    joined = true;
    List<Parameter> params = lora.parameters();
    double[] start = {parallel.rank() == 0 ? optimizer.stepCount() : 0, 0};
    parallel.sumScalars(start);
    if (start[1] > 0) {
      return false;
    }
    optimizer.setStepCount((int) start[0]);
    List<Tensor> state = new ArrayList<>();
    for (Parameter p : params) {
      AdamW.Moments m = optimizer.moments().get(p.name());
      state.add(p.value());
      state.add(m.m());
      state.add(m.v());
    }
    parallel.broadcast(state);
    return true;
  }

  /**
   * Rank 0 leaving before the last step (a stop, early stopping, a failure of its own) tells the
   * other ranks, which are waiting in the next step's first sum; a divergence needs no word, as
   * every rank sees the same loss. Once at most; {@code why} (null for a plain stop) gets the
   * failure to tell, if any, as suppressed.
   */
  void leave(Throwable why) {
    if (parallel == null
        || parallel.rank() != 0
        || left
        || why instanceof TrainingDivergedException
        || joined && optimizer.stepCount() >= settings.steps()) {
      return;
    }
    left = true;
    try {
      leave(parallel);
    } catch (RuntimeException e) {
      if (why == null) {
        throw e;
      }
      why.addSuppressed(e);
    }
  }

  /**
   * What rank 0 sends when it leaves a run the other ranks are in (or about to start: they wait in
   * {@link #train}'s first sum): a caller whose rank 0 ends without calling {@link #train} at all
   * sends it itself.
   */
  public static void leave(DataParallel parallel) {
    parallel.sumScalars(new double[] {0, 1});
  }

  /**
   * Micro-batch number {@code index} of the run: examples drawn in the seeded order of its epoch.
   */
  Batch batch(long index) {
    int perEpoch = data.size() / settings.batchSize();
    long epoch = index / perEpoch;
    int[] order = permutation(data.size(), settings.seed(), epoch);
    int first = (int) (index % perEpoch) * settings.batchSize();
    List<Example> rows = new ArrayList<>();
    for (int i = 0; i < settings.batchSize(); i++) {
      rows.add(data.get(order[first + i]));
    }
    return collate(rows, settings.padId());
  }

  /** The order of epoch {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch). */
  static int[] permutation(int n, long seed, long epoch) {
    SplittableRandom rnd = new SplittableRandom(seed ^ (epoch + 1) * 0x9E3779B97F4A7C15L);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /**
   * Pads every row on the right to the longest (padding is causal-safe: no real token attends to a
   * later pad) and turns labels into next-token targets; padded positions are ignored.
   */
  static Batch collate(List<Example> rows, int padId) {
    int seq = rows.stream().mapToInt(Example::length).max().orElseThrow();
    int[] ids = new int[rows.size() * seq];
    int[] labels = new int[ids.length];
    Arrays.fill(ids, padId);
    Arrays.fill(labels, Backend.IGNORE_INDEX);
    for (int r = 0; r < rows.size(); r++) {
      Example e = rows.get(r);
      System.arraycopy(e.ids(), 0, ids, r * seq, e.length());
      System.arraycopy(e.labels(), 0, labels, r * seq, e.length());
    }
    return new Batch(ids, CausalLmLoss.targets(labels, rows.size()), rows.size());
  }

  /**
   * Writes the adapter as it stands (after {@link #train}: the result) as a PEFT adapter folder
   * ({@code adapter_config.json}, {@code adapter_model.safetensors}), atomically; PEFT loads it,
   * and so does {@link LoraWeights#read}.
   */
  public void saveAdapter(Path folder) throws IOException {
    lora.save(folder);
  }

  // ---- checkpoints
  // -------------------------------------------------------------------------------------

  /**
   * Writes the adapter (PEFT names), the AdamW moments ({@code <name>.exp_avg}, {@code
   * <name>.exp_avg_sq}), the step and the seed to one safetensors file, atomically.
   */
  public void saveCheckpoint(Path file) throws IOException {
    saveCheckpoint(file, Map.of());
  }

  /** {@link #saveCheckpoint(Path)} with more metadata. */
  void saveCheckpoint(Path file, Map<String, String> metadata) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Backend backend = decoder.backend();
    SafeTensorsWriter w =
        SafeTensorsWriter.create()
            .metadata("format", "pt")
            .metadata("lorakit.step", Integer.toString(optimizer.stepCount()))
            .metadata("lorakit.seed", Long.toString(settings.seed()));
    metadata.forEach(w::metadata);
    for (Parameter p : lora.parameters()) {
      AdamW.Moments m = optimizer.moments().get(p.name());
      w.addFloats(
          p.name(),
          shape(p.value()),
          finite(p.name(), backend.download(p.value())),
          SafeTensorsDtype.F32);
      w.addFloats(
          p.name() + ".exp_avg",
          shape(p.value()),
          finite(p.name() + ".exp_avg", backend.download(m.m())),
          SafeTensorsDtype.F32);
      w.addFloats(
          p.name() + ".exp_avg_sq",
          shape(p.value()),
          finite(p.name() + ".exp_avg_sq", backend.download(m.v())),
          SafeTensorsDtype.F32);
    }
    w.write(file);
  }

  /**
   * {@code values}, unless one is NaN or infinite: a checkpoint is a point to go back to, so it
   * must be finite.
   */
  private float[] finite(String name, float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new TrainingDivergedException(
            optimizer.stepCount(),
            "Training diverged by step "
                + optimizer.stepCount()
                + ": \""
                + name
                + "\" holds a non-finite value ("
                + v
                + ").");
      }
    }
    return values;
  }

  /**
   * Restores the adapter, the moments and the step from a checkpoint written by {@link
   * #saveCheckpoint}.
   */
  public void loadCheckpoint(Path file) throws IOException {
    Backend backend = decoder.backend();
    try (TensorSource src = SafeTensorsFile.open(file)) {
      String seed = src.metadata().get("lorakit.seed");
      if (seed != null && Long.parseLong(seed) != settings.seed()) {
        throw new IOException(
            file
                + " was written by a run with seed "
                + seed
                + ", not "
                + settings.seed()
                + "; resuming it would not repeat that run.");
      }
      String step = src.metadata().get("lorakit.step");
      if (step == null) {
        throw new IOException(
            file + " has no \"lorakit.step\" metadata; it is not a training checkpoint.");
      }
      for (Parameter p : lora.parameters()) {
        AdamW.Moments m = optimizer.moments().get(p.name());
        restore(src, p.name(), p.value(), backend);
        restore(src, p.name() + ".exp_avg", m.m(), backend);
        restore(src, p.name() + ".exp_avg_sq", m.v(), backend);
      }
      optimizer.setStepCount(Integer.parseInt(step));
    }
  }

  /** The checkpoint with the highest step in {@code dir}, if any. */
  public static Optional<Path> latestCheckpoint(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
          .max((a, b) -> Long.compare(stepOf(a), stepOf(b)));
    }
  }

  /**
   * The step in a checkpoint's file name ({@code checkpoint-STEP.safetensors}), or -1 for another
   * name.
   */
  public static long stepOf(Path p) {
    Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static void restore(TensorSource src, String name, Tensor dst, Backend backend)
      throws IOException {
    if (!src.contains(name)) {
      throw new IOException(src.path() + " has no tensor \"" + name + "\".");
    }
    if (!Arrays.equals(src.info(name).shape(), shape(dst))) {
      throw new IOException(
          src.path()
              + ": tensor \""
              + name
              + "\" has shape "
              + Arrays.toString(src.info(name).shape())
              + " but "
              + dst.shape()
              + " is expected.");
    }
    try (Tensor tmp = backend.upload(src.floats(name), DType.F32, dst.shape())) {
      backend.copy(tmp, dst);
    }
  }

  private static long[] shape(Tensor t) {
    return Arrays.stream(t.shape().dims()).asLongStream().toArray();
  }
}
