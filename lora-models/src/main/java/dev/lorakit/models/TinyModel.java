package dev.lorakit.models;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TextFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A tiny LLaMA-architecture model to try lorakit with, and {@code lorakit demo}'s base model: a
 * decoder with the Mistral-7B tokenizer (vocabulary 32000), initialised at random from a seed and
 * written as a Hugging Face model folder (config.json, model.safetensors in bfloat16,
 * tokenizer.json). It knows nothing; LoRA on its frozen random weights is what learns the tasks.
 *
 * <p>Initialisation: embeddings N(0, 1); every projection N(0, 1/in) so that activations keep their
 * scale through the blocks; the output projection N(0, 1/hidden), which gives logits of unit scale
 * after the final RMSNorm and room for an adapter to push one token far above the rest; norms 1.
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
    Files.createDirectories(dir);
    SplittableRandom rnd = new SplittableRandom(seed);
    SafeTensorsWriter w = SafeTensorsWriter.create().metadata("format", "pt");
    add(w, dtype, "model.embed_tokens.weight", rnd, 1.0, VOCAB, hidden);
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      ones(w, dtype, p + "input_layernorm.weight", hidden);
      add(w, dtype, p + "self_attn.q_proj.weight", rnd, 1 / Math.sqrt(hidden), hidden, hidden);
      add(w, dtype, p + "self_attn.k_proj.weight", rnd, 1 / Math.sqrt(hidden), hidden, hidden);
      add(w, dtype, p + "self_attn.v_proj.weight", rnd, 1 / Math.sqrt(hidden), hidden, hidden);
      add(w, dtype, p + "self_attn.o_proj.weight", rnd, 1 / Math.sqrt(hidden), hidden, hidden);
      ones(w, dtype, p + "post_attention_layernorm.weight", hidden);
      add(w, dtype, p + "mlp.gate_proj.weight", rnd, 1 / Math.sqrt(hidden), intermediate, hidden);
      add(w, dtype, p + "mlp.up_proj.weight", rnd, 1 / Math.sqrt(hidden), intermediate, hidden);
      add(
          w,
          dtype,
          p + "mlp.down_proj.weight",
          rnd,
          1 / Math.sqrt(intermediate),
          hidden,
          intermediate);
    }
    ones(w, dtype, "model.norm.weight", hidden);
    add(w, dtype, "lm_head.weight", rnd, 1 / Math.sqrt(hidden), VOCAB, hidden);
    w.write(dir.resolve("model.safetensors"));
    TextFiles.writeAtomically(dir.resolve("tokenizer.json"), bundledTokenizerJson());
    TextFiles.writeAtomically(
        dir.resolve("config.json"),
        configJson(
            switch (dtype) {
              case F32 -> "float32";
              case F16 -> "float16";
              default -> "bfloat16";
            }));
  }

  private static void add(
      SafeTensorsWriter w,
      SafeTensorsDtype dtype,
      String name,
      SplittableRandom rnd,
      double std,
      int rows,
      int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (gaussian(rnd) * std);
    }
    w.addFloats(name, new long[] {rows, cols}, v, dtype);
  }

  private static void ones(SafeTensorsWriter w, SafeTensorsDtype dtype, String name, int n) {
    float[] v = new float[n];
    Arrays.fill(v, 1f);
    w.addFloats(name, new long[] {n}, v, dtype);
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = 1 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /** The model's {@code config.json} with {@code torch_dtype} {@code dtypeName}. */
  public String configJson(String dtypeName) {
    return LlamaConfigJson.of(VOCAB, hidden, intermediate, layers, heads, heads, 512, dtypeName);
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
