package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.tensor.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model folder as Hugging Face publishes one: {@code config.json}, the weights as {@code
 * model.safetensors} or as shards listed in {@code model.safetensors.index.json}, and usually
 * {@code tokenizer.json}.
 *
 * <p>Opening reads {@code config.json} and the safetensors headers, maps the files and checks every
 * tensor's name and shape against the config; no weight data is read, so a 14 GB checkpoint opens
 * in milliseconds and costs no heap. Close it to unmap the files.
 */
public final class ModelFolder implements AutoCloseable {

  private final Path dir;
  private final ModelConfig config;
  private final ModelWeights weights;

  private ModelFolder(Path dir, ModelConfig config, ModelWeights weights) {
    this.dir = dir;
    this.config = config;
    this.weights = weights;
  }

  /**
   * Opens a model folder.
   *
   * @throws NoSuchFileException when the folder or its {@code config.json} does not exist
   * @throws LorakitInputException when {@code config.json} describes a model lorakit does not
   *     implement, or the tensors do not match it (the message names the file, field or tensor)
   * @throws IOException when the safetensors files are missing or broken
   */
  public static ModelFolder open(Path dir) throws IOException {
    if (!Files.exists(dir)) throw new NoSuchFileException(dir.toString());
    if (!Files.isDirectory(dir)) {
      throw new LorakitInputException(
          dir + " is a file, not a model folder (one holding config.json and model.safetensors).");
    }
    Path configFile = dir.resolve("config.json");
    if (!Files.isRegularFile(configFile)) throw new NoSuchFileException(configFile.toString());
    ModelConfig config = ModelConfig.read(configFile);
    TensorSource source = SafeTensors.open(dir);
    try {
      return new ModelFolder(dir, config, ModelWeights.of(source, config, configFile.toString()));
    } catch (IOException | RuntimeException e) {
      source.close();
      throw e;
    }
  }

  /** The folder. */
  public Path path() {
    return dir;
  }

  /** What {@code config.json} says. */
  public ModelConfig config() {
    return config;
  }

  /** The checked weights (valid until {@link #close()}). */
  public ModelWeights weights() {
    return weights;
  }

  /** The engine's view of the model's shape (see {@link ModelConfig#decoderConfig()}). */
  public DecoderConfig decoderConfig() {
    return config.decoderConfig();
  }

  /**
   * Reads the weights and uploads them to {@code backend} as float32 (see {@link
   * ModelWeights#toDecoderWeights}): with {@link #decoderConfig()}, what a {@link
   * dev.lorakit.core.nn.Decoder} is made of. The caller owns them.
   */
  public DecoderWeights decoderWeights(Backend backend) throws IOException {
    return weights.toDecoderWeights(backend);
  }

  /**
   * The weights for a decoder computing in {@code precision}: the matrices in {@link
   * Precision#weights()} (bfloat16 for {@link Precision#BF16}), the norm weights float32.
   */
  public DecoderWeights decoderWeights(Backend backend, Precision precision) throws IOException {
    return weights.toDecoderWeights(backend, precision.weights());
  }

  /** The folder's {@code tokenizer.json}, if it has one. */
  public Optional<Path> tokenizerJson() {
    Path file = dir.resolve("tokenizer.json");
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /**
   * Opens the folder's tokenizer with BOS, EOS and pad taken from {@code config.json}.
   *
   * @throws NoSuchFileException when the folder has no {@code tokenizer.json}
   */
  public Tokenizer openTokenizer() throws IOException {
    Path file =
        tokenizerJson()
            .orElseThrow(() -> new NoSuchFileException(dir.resolve("tokenizer.json").toString()));
    return Tokenizer.open(file, config);
  }

  /** Unmaps the safetensors files; tensors handed out before become unusable. */
  @Override
  public void close() {
    weights.source().close();
  }
}
