package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.Device;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A Hugging Face model folder opened for LoRA work: where a Java user starts. It owns the backend
 * it computes on, the mapped folder, the tokenizer, the decoder over the weights and the adapter
 * being trained or used, and closes them all.
 *
 * <pre>{@code
 * try (LoraModel model = LoraModel.open(modelDir, Device.AUTO)) {
 *   model.withAdapter(LoraConfig.builder().r(16).loraAlpha(32).build());
 *   model.train(List.of(model.example("Prostate cancer, Gleason 4+3.\nModality:", "photon")),
 *       Trainer.Settings.builder().batchSize(1).gradAccum(1).steps(30).build());
 *   model.saveAdapter(adapterDir);
 *   String answer = model.generate("Prostate cancer, Gleason 4+3.\nModality:");
 * }
 * }</pre>
 *
 * For a run folder with a log, checkpoints, resume, a stop request and validation, {@link
 * #trainingRun} gives a {@link TrainingRun} builder over this model. The parts ({@link
 * #tokenizer()}, {@link #decoder()}, {@link #backend()}) stay reachable for what this class does
 * not do.
 */
public final class LoraModel implements AutoCloseable {

  /**
   * New tokens {@link #generate(String)} makes at most (fewer when the model's context ends first).
   */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;

  /**
   * How to generate.
   *
   * @param maxNewTokens tokens to generate at most; generation also ends at the tokenizer's EOS
   * @param sampling greedy ({@link Sampler.Settings#greedy()}) or sampled
   */
  public record Generation(int maxNewTokens, Sampler.Settings sampling) {

    public Generation {
      if (maxNewTokens < 0) {
        throw new LorakitInputException(
            "The number of new tokens must not be negative, not " + maxNewTokens + ".");
      }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens. */
    public static Generation greedy(int maxNewTokens) {
      return new Generation(maxNewTokens, Sampler.Settings.greedy());
    }
  }

  private final Backend backend;
  private final boolean ownsBackend;
  private final ModelFolder folder;
  private final Tokenizer tokenizer;
  private final Decoder decoder;
  private LoraWeights adapter;
  private boolean adapterOff;

  private LoraModel(
      Backend backend,
      boolean ownsBackend,
      ModelFolder folder,
      Tokenizer tokenizer,
      Decoder decoder) {
    this.backend = backend;
    this.ownsBackend = ownsBackend;
    this.folder = folder;
    this.tokenizer = tokenizer;
    this.decoder = decoder;
  }

  /**
   * Opens a model folder ({@code config.json}, {@code *.safetensors}, {@code tokenizer.json}) on a
   * new backend for {@code device}, computing in float32; {@link Device#AUTO} says on standard
   * error what it fell back to.
   */
  public static LoraModel open(Path modelDir, Device device) throws IOException {
    return open(modelDir, device, Precision.FP32);
  }

  /**
   * {@link #open(Path, Device)} computing in {@code precision} (bf16: frozen weights in bfloat16).
   */
  public static LoraModel open(Path modelDir, Device device, Precision precision)
      throws IOException {
    Backend backend = device.open(System.err::println);
    try {
      return open(modelDir, backend, precision, true);
    } catch (IOException | RuntimeException | Error e) {
      backend.close();
      throw e;
    }
  }

  /** Opens a model folder on a backend of the caller's, which stays the caller's to close. */
  public static LoraModel open(Path modelDir, Backend backend, Precision precision)
      throws IOException {
    return open(modelDir, backend, precision, false);
  }

  private static LoraModel open(
      Path modelDir, Backend backend, Precision precision, boolean ownsBackend) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      throw new LorakitInputException(
          modelDir
              + " is not a model folder (one holding config.json, "
              + "model.safetensors and tokenizer.json).");
    }
    ModelFolder folder = ModelFolder.open(modelDir);
    Tokenizer tokenizer = null;
    try {
      tokenizer = folder.openTokenizer();
      Decoder decoder =
          new Decoder(
              folder.decoderConfig(),
              folder.decoderWeights(backend, precision),
              backend,
              precision);
      return new LoraModel(backend, ownsBackend, folder, tokenizer, decoder);
    } catch (IOException | RuntimeException | Error e) {
      if (tokenizer != null) tokenizer.close();
      folder.close();
      throw e;
    }
  }

  // ---- the adapter
  // --------------------------------------------------------------------------------------

  /**
   * Gives the model a new adapter, initialised as PEFT does (A random, B zero: the model is
   * unchanged until trained) from the seed {@value Trainer.Settings#DEFAULT_SEED}; an adapter it
   * had is closed.
   */
  public LoraModel withAdapter(LoraConfig config) {
    return withAdapter(config, Trainer.Settings.DEFAULT_SEED);
  }

  /** {@link #withAdapter(LoraConfig)} initialised from {@code seed}. */
  public LoraModel withAdapter(LoraConfig config, long seed) {
    String base = folder.path().toAbsolutePath().normalize().toString();
    LoraConfig withBase =
        config.baseModelNameOrPath() == null
            ? config.toBuilder().baseModelNameOrPath(base).build()
            : config;
    setAdapter(LoraWeights.init(LoraSpec.of(withBase, decoder.config()), backend, seed));
    return this;
  }

  /**
   * Loads a PEFT adapter folder ({@code adapter_config.json}, {@code adapter_model.safetensors});
   * an adapter the model had is closed.
   */
  public LoraModel loadAdapter(Path adapterDir) throws IOException {
    setAdapter(LoraWeights.read(adapterDir, decoder.config(), backend));
    return this;
  }

  private void setAdapter(LoraWeights next) {
    if (adapter != null) adapter.close();
    adapter = next;
    decoder.setLora(adapterOff ? null : next);
  }

  /**
   * Writes the adapter as a PEFT adapter folder, atomically; PEFT's {@code
   * PeftModel.from_pretrained} loads it.
   */
  public void saveAdapter(Path adapterDir) throws IOException {
    requireAdapter("save").save(adapterDir);
  }

  /** The adapter, if the model has one. */
  public Optional<LoraWeights> adapter() {
    return Optional.ofNullable(adapter);
  }

  /**
   * Turns the adapter off until the returned scope is closed, for the base model's answers: {@code
   * try (var base = model.adapterDisabled()) { model.generate(...); }}.
   */
  public AdapterDisabled adapterDisabled() {
    if (adapterOff) throw new IllegalStateException("The adapter is already disabled.");
    adapterOff = true;
    decoder.setLora(null);
    return new AdapterDisabled();
  }

  /** The scope of {@link #adapterDisabled()}: closing it turns the adapter back on. */
  public final class AdapterDisabled implements AutoCloseable {
    private boolean closed;

    private AdapterDisabled() {}

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      adapterOff = false;
      decoder.setLora(adapter);
    }
  }

  private LoraWeights requireAdapter(String what) {
    if (adapter == null) {
      throw new IllegalStateException(
          "The model has no adapter to " + what + "; call withAdapter or loadAdapter.");
    }
    return adapter;
  }

  // ---- training
  // --------------------------------------------------------------------------------------------

  /**
   * A training example from text: the prompt (with BOS) and the completion followed by EOS, of
   * which only the completion and EOS are learned.
   */
  public Example example(String prompt, String completion) {
    int[] answer = tokenizer.encodeNoBos(completion);
    int[] learned = Arrays.copyOf(answer, answer.length + 1);
    learned[answer.length] = tokenizer.specialTokens().eos();
    return Example.promptCompletion(tokenizer.encode(prompt), learned);
  }

  /**
   * Trains the adapter on {@code data}, in memory (nothing is written: {@link #saveAdapter} when
   * done; for a run folder, {@link #trainingRun}). The optimizer's state lives for the run.
   */
  public TrainingRun.Result train(List<Example> data, Trainer.Settings settings)
      throws IOException {
    return trainingRun(data).settings(settings).build().run();
  }

  /**
   * A training run of the adapter on {@code data} to configure: its settings (required), a run
   * folder, resume, validation, checkpoints. Padding uses the tokenizer's pad id whatever the
   * settings say.
   */
  public TrainingRun.Builder trainingRun(List<Example> data) {
    requireAdapter("train");
    if (adapterOff)
      throw new IllegalStateException("The adapter is disabled; close that scope before training.");
    return TrainingRun.builder(decoder, data).padId(tokenizer.specialTokens().paddingId());
  }

  // ---- generation and merging
  // --------------------------------------------------------------------------------

  /**
   * Greedy generation of up to {@value #DEFAULT_MAX_NEW_TOKENS} tokens after {@code prompt}: the
   * new text.
   */
  public String generate(String prompt) {
    return generate(prompt, Generation.greedy(DEFAULT_MAX_NEW_TOKENS));
  }

  /**
   * The text generated after {@code prompt} (BOS added, EOS and other special tokens left out),
   * with the adapter unless it is disabled, and no dropout; stops at EOS, at {@code maxNewTokens}
   * or at the end of the model's context, whichever comes first.
   */
  public String generate(String prompt, Generation generation) {
    int[] ids = tokenizer.encode(prompt);
    int room = decoder.config().maxPositions() - ids.length;
    if (room < 0) {
      throw new LorakitInputException(
          "The prompt is "
              + ids.length
              + " tokens long, more than the model's context of "
              + decoder.config().maxPositions()
              + ".");
    }
    decoder.setTraining(false);
    int[] out =
        new Generator(decoder)
            .generate(
                ids,
                Math.min(generation.maxNewTokens(), room),
                tokenizer.specialTokens().eos(),
                generation.sampling());
    return tokenizer.decode(Arrays.copyOfRange(out, ids.length, out.length));
  }

  /**
   * Writes a model folder with the adapter folded into the weights ({@link MergedModel}) to {@code
   * out}, which must not exist yet; the files are written aside and renamed into place when all are
   * complete.
   */
  public void merge(Path out) throws IOException {
    LoraWeights lora = requireAdapter("merge");
    if (Files.exists(out)) {
      throw new LorakitInputException(
          out + " already exists; a merged model goes to a new folder.");
    }
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Files.createTempDirectory(parent, ".lorakit-tmp-merge-");
    try {
      MergedModel.write(folder.path(), lora, temp, backend);
      Files.move(temp, out);
    } catch (IOException | RuntimeException | Error e) {
      OutputFolder.deleteTree(temp);
      throw e;
    }
  }

  // ---- the parts
  // -------------------------------------------------------------------------------------------

  /** The folder's tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The decoder over the model's weights (carrying the adapter unless it is disabled). */
  public Decoder decoder() {
    return decoder;
  }

  /** The backend the model computes on. */
  public Backend backend() {
    return backend;
  }

  /** The model folder ({@code config.json} and the mapped weights). */
  public ModelFolder folder() {
    return folder;
  }

  /**
   * Closes the adapter, the decoder and its weights, the tokenizer, the folder and (if it opened
   * it) the backend.
   */
  @Override
  public void close() {
    decoder.setLora(null);
    if (adapter != null) adapter.close();
    decoder.weights().close();
    decoder.close();
    tokenizer.close();
    folder.close();
    if (ownsBackend) backend.close();
  }
}
