package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.io.TensorSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Hugging Face tensor names of a LLaMA/Mistral checkpoint and the shape the config gives each,
 * and the check of a {@link TensorSource} against them. Only headers are looked at; no tensor data
 * is read.
 */
final class WeightMap {

  static final String EMBEDDING = "model.embed_tokens.weight";
  static final String FINAL_NORM = "model.norm.weight";
  static final String LM_HEAD = "lm_head.weight";

  /**
   * Older transformers saved RoPE's inverse frequencies as a buffer; they follow from rope_theta
   * and head_dim, and transformers itself ignores them on load.
   */
  private static final Pattern ROTARY_BUFFER =
      Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

  /**
   * One tensor the config calls for; {@code because} names the config fields that fix its shape.
   */
  record Expected(String name, long[] shape, String because) {}

  private WeightMap() {}

  /**
   * Every tensor {@code config} calls for, in checkpoint order: embedding, blocks, final norm,
   * lm_head.
   */
  static Map<String, Expected> expected(ModelConfig c) {
    Map<String, Expected> all = new LinkedHashMap<>();
    String vocab = "vocab_size " + c.vocab() + ", hidden_size " + c.hidden();
    put(all, EMBEDDING, new long[] {c.vocab(), c.hidden()}, vocab);
    for (int layer = 0; layer < c.layers(); layer++) {
      for (LayerWeight w : LayerWeight.values())
        put(all, w.tensorName(layer), w.shape(c), because(w, c));
    }
    put(all, FINAL_NORM, new long[] {c.hidden()}, "hidden_size " + c.hidden());
    if (!c.tiedEmbeddings()) put(all, LM_HEAD, new long[] {c.vocab(), c.hidden()}, vocab);
    return all;
  }

  /**
   * Checks that {@code source} holds exactly the tensors {@code config} calls for, each of its
   * shape and of a floating-point type. The error names the first problem (missing, unexpected,
   * mis-shaped or mistyped tensor) with expected and actual shape, and counts the rest.
   */
  static ModelWeights check(TensorSource source, ModelConfig config, String configName)
      throws IOException {
    String file = source.path().toString();
    Map<String, Expected> expected = expected(config);
    List<String> problems = new ArrayList<>();
    Map<String, TensorInfo> found = new LinkedHashMap<>();
    for (Expected e : expected.values()) {
      if (!source.contains(e.name())) {
        problems.add(
            file
                + " has no tensor \""
                + e.name()
                + "\", which "
                + configName
                + " ("
                + e.because()
                + ") calls for with shape "
                + Arrays.toString(e.shape()));
        continue;
      }
      TensorInfo info = source.info(e.name());
      if (!info.dtype().isFloatingPoint()) {
        problems.add(
            file
                + ": tensor \""
                + e.name()
                + "\" is "
                + info.dtype()
                + ", but model weights must be F32, F16, BF16 or F64");
      } else if (!Arrays.equals(info.shape(), e.shape())) {
        problems.add(
            file
                + ": tensor \""
                + e.name()
                + "\" has shape "
                + Arrays.toString(info.shape())
                + ", but "
                + configName
                + " ("
                + e.because()
                + ") needs "
                + Arrays.toString(e.shape()));
      } else {
        found.put(e.name(), info);
      }
    }
    for (String name : source.names()) {
      if (expected.containsKey(name) || ROTARY_BUFFER.matcher(name).matches()) continue;
      TensorInfo info = source.info(name);
      // A tied checkpoint may still carry lm_head; transformers replaces it by the embedding, and
      // so do we.
      if (name.equals(LM_HEAD)
          && config.tiedEmbeddings()
          && Arrays.equals(info.shape(), expected.get(EMBEDDING).shape())) {
        continue;
      }
      problems.add(
          file
              + " holds tensor \""
              + name
              + "\" "
              + Arrays.toString(info.shape())
              + ", which a "
              + config.modelType().configName()
              + " model as "
              + configName
              + " describes it ("
              + config.layers()
              + " layers, tie_word_embeddings "
              + config.tiedEmbeddings()
              + ") does not have");
    }
    if (!problems.isEmpty()) {
      String more =
          problems.size() == 1
              ? ""
              : " (and "
                  + (problems.size() - 1)
                  + " more problem"
                  + (problems.size() == 2 ? "" : "s")
                  + " with this checkpoint)";
      throw new LorakitInputException(problems.getFirst() + more + ".");
    }
    return new ModelWeights(source, config, found);
  }

  private static void put(Map<String, Expected> all, String name, long[] shape, String because) {
    all.put(name, new Expected(name, shape, because));
  }

  private static String because(LayerWeight w, ModelConfig c) {
    String hidden = "hidden_size " + c.hidden();
    return switch (w) {
      case INPUT_LAYERNORM, POST_ATTENTION_LAYERNORM -> hidden;
      case Q_PROJ, O_PROJ ->
          "num_attention_heads " + c.heads() + " x head_dim " + c.headDim() + ", " + hidden;
      case K_PROJ, V_PROJ ->
          "num_key_value_heads " + c.kvHeads() + " x head_dim " + c.headDim() + ", " + hidden;
      case GATE_PROJ, UP_PROJ, DOWN_PROJ -> "intermediate_size " + c.intermediate() + ", " + hidden;
    };
  }
}
