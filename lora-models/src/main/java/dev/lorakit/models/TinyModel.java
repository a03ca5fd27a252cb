package dev.lorakit.models;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.RandomWeights;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A tiny LLaMA-architecture model to try lorakit with, and {@code lorakit demo}'s base model: a
 * decoder with the Mistral-7B tokenizer (vocabulary 32000), initialised at random from a seed and
 * written as a Hugging Face model folder (config.json, model.safetensors in bfloat16,
 * tokenizer.json). It knows nothing; LoRA on its frozen random weights is what learns the tasks.
 *
 * <p>Initialisation: {@link RandomWeights.Init#SCALED}: embeddings of std 1; every projection of
 * std {@code 1/sqrt(in)} so that activations keep their scale through the blocks; the output
 * projection {@code 1/sqrt(hidden)}, which gives logits of unit scale after the final RMSNorm and
 * room for an adapter to push one token far above the rest; norms 1.
 *
 * @param hidden width of the residual stream
 * @param intermediate width of the MLP
 * @param layers decoder blocks
 * @param heads attention heads (as many key/value heads)
 */
public record TinyModel(int hidden, int intermediate, int layers, int heads) {

  /** The vocabulary of the bundled Mistral-7B tokenizer. */
  public static final int VOCAB = 32000;

  /** The demo's default: 128 wide, 2 blocks of 4 heads, MLP 344. */
  public static TinyModel demoDefault() {
    return new TinyModel(128, 344, 2, 4);
  }

  /**
   * Writes the model folder {@code dir} (created if needed), its weights drawn from {@code seed},
   * in bfloat16.
   */
  public void write(Path dir, long seed) throws IOException {
    write(dir, seed, SafeTensorsDtype.BF16);
  }

  /** Writes the model folder with the weights stored as {@code dtype} (F32, F16 or BF16). */
  public void write(Path dir, long seed, SafeTensorsDtype dtype) throws IOException {
    RandomModelFolder.write(
        dir,
        decoderConfig(),
        new RandomWeights(seed, RandomWeights.Init.SCALED),
        dtype,
        Long.MAX_VALUE);
    TextFiles.writeAtomically(dir.resolve("tokenizer.json"), bundledTokenizerJson());
  }

  /** The decoder this model folder describes (512 positions, untied head). */
  public DecoderConfig decoderConfig() {
    return new DecoderConfig(
        VOCAB,
        hidden,
        intermediate,
        layers,
        heads,
        heads,
        hidden / heads,
        10000,
        1e-5,
        0,
        false,
        512);
  }

  private static String bundledTokenizerJson() throws IOException {
    try (InputStream in =
        Tokenizer.class.getResourceAsStream("tokenizers/mistral-7b-v0.1/tokenizer.json")) {
      if (in == null)
        throw new IllegalStateException("lora-models is missing its bundled Mistral tokenizer.");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
