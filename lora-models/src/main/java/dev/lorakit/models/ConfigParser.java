package dev.lorakit.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorakit.core.LorakitInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Turns a {@code config.json} into a {@link ModelConfig} with transformers' defaults (LlamaConfig
 * and MistralConfig, 4.x and 5.x) and refuses what the engine does not compute.
 */
final class ConfigParser {

  /** transformers' RoPE base when a config names none. */
  static final double DEFAULT_ROPE_THETA = 10_000.0;

  private ConfigParser() {}

  static ModelConfig parse(ConfigJson c) {
    String typeName = c.requiredString("model_type");
    ModelType type = ModelType.fromConfigName(typeName);
    if (type == null) {
      throw new LorakitInputException(
          c.source()
              + ": model_type \""
              + typeName
              + "\" is not supported; lorakit supports "
              + ModelType.supportedNames()
              + ".");
    }
    // The six fields that fix every tensor shape: a default here would be a guess about someone's
    // weights.
    int vocab = c.requiredPositiveInt("vocab_size");
    int hidden = c.requiredPositiveInt("hidden_size");
    int intermediate = c.requiredPositiveInt("intermediate_size");
    int layers = c.requiredPositiveInt("num_hidden_layers");
    int heads = c.requiredPositiveInt("num_attention_heads");
    int kvHeads = c.positiveInt("num_key_value_heads", heads);
    if (heads % kvHeads != 0) {
      throw new LorakitInputException(
          c.source()
              + ": num_attention_heads ("
              + heads
              + ") must be a multiple of num_key_value_heads ("
              + kvHeads
              + ").");
    }
    int headDim;
    if (c.has("head_dim")) {
      headDim = c.positiveInt("head_dim", 0);
    } else if (hidden % heads == 0) {
      headDim = hidden / heads;
    } else {
      throw new LorakitInputException(
          c.source()
              + ": hidden_size ("
              + hidden
              + ") is not a multiple of num_attention_heads ("
              + heads
              + ") and there is no head_dim.");
    }

    requireValue(c, "hidden_act", "silu", "\"silu\"");
    requireFalse(c, "attention_bias");
    requireFalse(c, "mlp_bias");

    int maxPositions =
        c.positiveInt("max_position_embeddings", type == ModelType.MISTRAL ? 4096 * 32 : 2048);
    double eps = c.optionalPositiveNumber("rms_norm_eps").orElse(1e-6);
    double theta = ropeTheta(c);
    // LlamaConfig has no sliding window at all; MistralConfig defaults to 4096 and null means full
    // attention.
    OptionalInt window = OptionalInt.empty();
    if (type == ModelType.MISTRAL) {
      window =
          c.isPresent("sliding_window")
              ? c.optionalPositiveInt("sliding_window")
              : OptionalInt.of(4096);
    }
    boolean tie = c.bool("tie_word_embeddings", false);
    int bos =
        c.isPresent("bos_token_id") ? c.nonNegativeInt("bos_token_id", c.get("bos_token_id")) : 1;
    List<Integer> eos = eosTokenIds(c);
    OptionalInt pad = c.optionalNonNegativeInt("pad_token_id");
    Optional<String> dtype = dtype(c);

    return new ModelConfig(
        type,
        vocab,
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        headDim,
        maxPositions,
        eps,
        theta,
        window,
        tie,
        bos,
        eos,
        pad,
        dtype);
  }

  /**
   * The RoPE base, from {@code rope_parameters.rope_theta} (5.x) or top-level {@code rope_theta}
   * (4.x). Only plain RoPE is implemented: 4.x {@code rope_scaling} must be null or of type
   * default, 5.x {@code rope_parameters.rope_type} must be default.
   */
  private static double ropeTheta(ConfigJson c) {
    OptionalDouble top = c.optionalPositiveNumber("rope_theta");
    OptionalDouble nested = OptionalDouble.empty();
    String nestedField = null;
    for (String field : new String[] {"rope_scaling", "rope_parameters"}) {
      Optional<ConfigJson> rope = c.object(field);
      if (rope.isEmpty()) continue;
      // 4.x wrote the kind as "type" at first and as "rope_type" later; an absent kind is the
      // default.
      String key = rope.get().has("rope_type") ? "rope_type" : "type";
      String kind = rope.get().string(key).orElse("default");
      if (!kind.equals("default")) {
        throw new LorakitInputException(
            c.source()
                + ": "
                + field
                + " "
                + key
                + " \""
                + kind
                + "\" is not supported; lorakit implements only unscaled RoPE (rope_scaling null, or rope type \"default\").");
      }
      OptionalDouble theta = rope.get().optionalPositiveNumber("rope_theta");
      if (theta.isPresent()) {
        nested = theta;
        nestedField = field;
      }
    }
    if (top.isPresent() && nested.isPresent() && top.getAsDouble() != nested.getAsDouble()) {
      throw new LorakitInputException(
          c.source()
              + ": rope_theta ("
              + top.getAsDouble()
              + ") and "
              + nestedField
              + ".rope_theta ("
              + nested.getAsDouble()
              + ") disagree.");
    }
    return nested.isPresent() ? nested.getAsDouble() : top.orElse(DEFAULT_ROPE_THETA);
  }

  /**
   * {@code eos_token_id} is one id in most configs and a list in some; default 2 as in LlamaConfig.
   */
  private static List<Integer> eosTokenIds(ConfigJson c) {
    if (!c.isPresent("eos_token_id")) return List.of(2);
    JsonNode v = c.get("eos_token_id");
    if (v == null || !v.isArray()) return List.of(c.nonNegativeInt("eos_token_id", v));
    if (v.isEmpty()) throw c.wrongType("eos_token_id", "a token id or a non-empty list of them", v);
    List<Integer> ids = new ArrayList<>();
    for (JsonNode id : v) ids.add(c.nonNegativeInt("eos_token_id", id));
    return ids;
  }

  /** 5.x writes {@code dtype}, 4.x {@code torch_dtype}. */
  private static Optional<String> dtype(ConfigJson c) {
    String field = c.has("dtype") ? "dtype" : "torch_dtype";
    Optional<String> dtype = c.string(field);
    if (dtype.isPresent() && !ModelConfig.DTYPES.contains(dtype.get())) {
      throw new LorakitInputException(
          c.source()
              + ": "
              + field
              + " \""
              + dtype.get()
              + "\" is not supported; lorakit reads checkpoints saved as \"float32\", \"float16\" or \"bfloat16\".");
    }
    return dtype;
  }

  private static void requireValue(ConfigJson c, String field, String wanted, String supported) {
    Optional<String> v = c.string(field);
    if (v.isPresent() && !v.get().equals(wanted)) {
      throw new LorakitInputException(
          c.source()
              + ": "
              + field
              + " \""
              + v.get()
              + "\" is not supported; lorakit implements only "
              + supported
              + ".");
    }
  }

  private static void requireFalse(ConfigJson c, String field) {
    if (c.bool(field, false)) {
      throw new LorakitInputException(
          c.source()
              + ": "
              + field
              + " true is not supported; lorakit implements the bias-free LLaMA/Mistral layers only ("
              + field
              + " false).");
    }
  }
}
