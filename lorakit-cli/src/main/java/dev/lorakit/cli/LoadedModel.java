package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.models.ModelConfig;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model folder opened for computing: its config, its tokenizer, and a decoder over its weights on a backend.
 *
 * @param folder    the folder (kept open: its files stay mapped while the model is in use)
 * @param config    {@code config.json}
 * @param decoder   the engine's decoder over the weights
 * @param tokenizer the folder's {@code tokenizer.json}
 */
record LoadedModel(ModelFolder folder, ModelConfig config, Decoder decoder, Tokenizer tokenizer)
    implements AutoCloseable {

  /** Opens {@code dir} and loads its weights onto {@code backend}. */
  static LoadedModel open(Path dir, Backend backend) throws IOException {
    ModelFolder folder = ModelFolder.open(dir);
    try {
      ModelConfig c = folder.config();
      DecoderConfig dc = decoderConfig(c);
      Tokenizer tokenizer = folder.openTokenizer();
      DecoderWeights w = DecoderWeights.load(dc, backend, folder.weights().source());
      return new LoadedModel(folder, c, new Decoder(dc, w, backend), tokenizer);
    } catch (IOException | RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /** The engine's view of a {@code config.json}. */
  static DecoderConfig decoderConfig(ModelConfig c) {
    return new DecoderConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
        c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.ropeTheta(), c.rmsNormEps(),
        c.slidingWindow().orElse(0), c.tieWordEmbeddings());
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
