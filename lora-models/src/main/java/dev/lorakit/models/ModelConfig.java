package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.nn.DecoderConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The shape of a LLaMA- or Mistral-family decoder, as its Hugging Face {@code config.json}
 * describes it.
 *
 * <p>{@link #read} accepts both the transformers 4.x spelling ({@code rope_theta} at the top level,
 * {@code rope_scaling}, {@code torch_dtype}) and the 5.x spelling ({@code rope_parameters}, {@code
 * dtype}). A field left out takes the default of transformers' {@code LlamaConfig} / {@code
 * MistralConfig}, so a folder loads here exactly as it loads there; the six fields that fix the
 * tensor shapes are required. Anything lorakit does not implement (scaled RoPE, another activation,
 * biases, another model type) is refused rather than silently computed differently.
 *
 * <p>The components use the engine's words for the model's dimensions, those of {@link
 * DecoderConfig} (which {@link #decoderConfig()} makes); each names the {@code config.json} key it
 * comes from.
 *
 * @param modelType llama or mistral
 * @param vocab ({@code vocab_size}) rows of the embedding and of {@code lm_head}
 * @param hidden ({@code hidden_size}) the model width
 * @param intermediate ({@code intermediate_size}) the width of the gated MLP
 * @param layers ({@code num_hidden_layers}) decoder blocks
 * @param heads ({@code num_attention_heads}) query heads
 * @param kvHeads ({@code num_key_value_heads}) key/value heads (fewer than query heads for
 *     grouped-query attention)
 * @param headDim ({@code head_dim}) the width of one head; usually {@code hidden / heads}
 * @param maxPositions ({@code max_position_embeddings}) the longest sequence the model was trained
 *     for
 * @param rmsEps ({@code rms_norm_eps}) the epsilon inside every RMSNorm
 * @param ropeTheta ({@code rope_theta}) the RoPE base frequency
 * @param slidingWindow ({@code sliding_window}) Mistral's attention window: query i sees keys j
 *     with {@code i - window < j <= i}; empty for full causal attention
 * @param tiedEmbeddings ({@code tie_word_embeddings}) whether {@code lm_head} reuses the embedding
 *     matrix
 * @param bosTokenId beginning-of-sequence token
 * @param eosTokenIds end-of-sequence token(s); generation stops at any of them
 * @param padTokenId padding token, if the model has one
 * @param dtype the precision the checkpoint was saved in ({@code float32}, {@code float16} or
 *     {@code bfloat16}), if {@code config.json} says
 */
public record ModelConfig(
    ModelType modelType,
    int vocab,
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int maxPositions,
    double rmsEps,
    double ropeTheta,
    OptionalInt slidingWindow,
    boolean tiedEmbeddings,
    int bosTokenId,
    List<Integer> eosTokenIds,
    OptionalInt padTokenId,
    Optional<String> dtype) {

  /** The checkpoint precisions a config may name. */
  static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16");

  public ModelConfig {
    Objects.requireNonNull(modelType, "modelType");
    Objects.requireNonNull(slidingWindow, "slidingWindow");
    Objects.requireNonNull(padTokenId, "padTokenId");
    Objects.requireNonNull(dtype, "dtype");
    eosTokenIds = List.copyOf(eosTokenIds);
    requirePositive("vocab_size", vocab);
    requirePositive("hidden_size", hidden);
    requirePositive("intermediate_size", intermediate);
    requirePositive("num_hidden_layers", layers);
    requirePositive("num_attention_heads", heads);
    requirePositive("num_key_value_heads", kvHeads);
    requirePositive("head_dim", headDim);
    requirePositive("max_position_embeddings", maxPositions);
    if (heads % kvHeads != 0) {
      throw new LorakitInputException(
          "num_attention_heads ("
              + heads
              + ") must be a multiple of num_key_value_heads ("
              + kvHeads
              + ").");
    }
    if (!(rmsEps > 0))
      throw new LorakitInputException("rms_norm_eps must be positive, not " + rmsEps + ".");
    if (!(ropeTheta > 0))
      throw new LorakitInputException("rope_theta must be positive, not " + ropeTheta + ".");
    slidingWindow.ifPresent(w -> requirePositive("sliding_window", w));
    if (dtype.isPresent() && !DTYPES.contains(dtype.get())) {
      throw new LorakitInputException(
          "dtype must be one of " + DTYPES + ", not " + dtype.get() + ".");
    }
  }

  /** Reads a {@code config.json}; every error names the file and the field. */
  public static ModelConfig read(Path configJson) throws IOException {
    return parse(dev.lorakit.core.io.TextFiles.readUtf8(configJson), configJson.toString());
  }

  /** Parses the text of a {@code config.json}; {@code source} names it in errors. */
  static ModelConfig parse(String json, String source) {
    return ConfigParser.parse(ConfigJson.parse(json, source));
  }

  /**
   * The width of all query heads together: the output of {@code q_proj}, the input of {@code
   * o_proj}.
   */
  public int qWidth() {
    return heads * headDim;
  }

  /**
   * The width of all key (or value) heads together: the output of {@code k_proj} and {@code
   * v_proj}.
   */
  public int kvWidth() {
    return kvHeads * headDim;
  }

  /**
   * The engine's view of this shape: what {@link dev.lorakit.core.nn.Decoder} needs (Mistral's
   * window, 0 for none; {@code max_position_embeddings} as the longest sequence it accepts).
   */
  public DecoderConfig decoderConfig() {
    return new DecoderConfig(
        vocab,
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        headDim,
        ropeTheta,
        rmsEps,
        slidingWindow.orElse(0),
        tiedEmbeddings,
        maxPositions);
  }

  /** The first end-of-sequence token. */
  public int eosTokenId() {
    return eosTokenIds.getFirst();
  }

  /**
   * The number of parameters of the model: embedding, the decoder blocks, the final norm and {@code
   * lm_head} (counted once when it is tied to the embedding). LLaMA-2-7B has 6,738,415,616;
   * Mistral-7B-v0.1 7,241,732,096.
   */
  public long parameterCount() {
    long h = hidden;
    long attention = h * qWidth() + 2 * h * kvWidth() + (long) qWidth() * h; // q, k, v, o
    long mlp = 3 * h * intermediate; // gate, up, down
    long norms = 2 * h; // input_layernorm, post_attention_layernorm
    long embedding = (long) vocab * h;
    long lmHead = tiedEmbeddings ? 0 : embedding;
    return embedding + layers * (attention + mlp + norms) + h + lmHead;
  }

  private static void requirePositive(String name, int value) {
    if (value <= 0) throw new LorakitInputException(name + " must be positive, not " + value + ".");
  }
}
