package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.models.ModelConfig;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model folder opened for computing: its config, its tokenizer, and a decoder over its weights on
 * a backend.
 *
 * @param folder the folder (kept open: its files stay mapped while the model is in use)
 * @param config {@code config.json}
 * @param decoder the engine's decoder over the weights
 * @param tokenizer the folder's {@code tokenizer.json}
 */
record LoadedModel(ModelFolder folder, ModelConfig config, Decoder decoder, Tokenizer tokenizer)
    implements AutoCloseable {

  /** Opens {@code dir} and loads its weights onto {@code backend} for a float32 decoder. */
  static LoadedModel open(Path dir, Backend backend) throws IOException {
    return open(dir, backend, Precision.FP32);
  }

  /**
   * Opens {@code dir} and loads its weights onto {@code backend} for a decoder computing in {@code
   * precision}.
   */
  static LoadedModel open(Path dir, Backend backend, Precision precision) throws IOException {
    ModelFolder folder = ModelFolder.open(dir);
    try {
      Tokenizer tokenizer = folder.openTokenizer();
      DecoderWeights w = folder.decoderWeights(backend, precision);
      return new LoadedModel(
          folder,
          folder.config(),
          new Decoder(folder.decoderConfig(), w, backend, precision),
          tokenizer);
    } catch (IOException | RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /** The engine's shape of the model. */
  DecoderConfig decoderConfig() {
    return decoder.config();
  }

  @Override
  public void close() {
    decoder.weights().close();
    decoder.close();
    tokenizer.close();
    folder.close();
  }
}
