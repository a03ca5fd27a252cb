package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.nn.DecoderConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The shape of a LLaMA- or Mistral-family decoder, as its Hugging Face {@code config.json} describes it.
 *
 * <p>{@link #read} accepts both the transformers 4.x spelling ({@code rope_theta} at the top level,
 * {@code rope_scaling}, {@code torch_dtype}) and the 5.x spelling ({@code rope_parameters}, {@code dtype}).
 * A field left out takes the default of transformers' {@code LlamaConfig} / {@code MistralConfig}, so a
 * folder loads here exactly as it loads there; the six fields that fix the tensor shapes are required.
 * Anything lorakit does not implement (scaled RoPE, another activation, biases, another model type) is
 * refused rather than silently computed differently.
 *
 * @param modelType llama or mistral
 * @param vocabSize rows of the embedding and of {@code lm_head}
 * @param hiddenSize the model width
 * @param intermediateSize the width of the gated MLP
 * @param numHiddenLayers decoder blocks
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (fewer than query heads for grouped-query attention)
 * @param headDim the width of one head; usually {@code hiddenSize / numAttentionHeads}
 * @param maxPositionEmbeddings the longest sequence the model was trained for
 * @param rmsNormEps the epsilon inside every RMSNorm
 * @param ropeTheta the RoPE base frequency
 * @param slidingWindow Mistral's attention window: query i sees keys j with {@code i - window < j <= i};
 *     empty for full causal attention
 * @param tieWordEmbeddings whether {@code lm_head} reuses the embedding matrix
 * @param bosTokenId beginning-of-sequence token
 * @param eosTokenIds end-of-sequence token(s); generation stops at any of them
 * @param padTokenId padding token, if the model has one
 * @param dtype the precision the checkpoint was saved in ({@code float32}, {@code float16} or
 *     {@code bfloat16}), if {@code config.json} says
 */
public record ModelConfig(
    ModelType modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int maxPositionEmbeddings,
    double rmsNormEps,
    double ropeTheta,
    OptionalInt slidingWindow,
    boolean tieWordEmbeddings,
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
    requirePositive("vocabSize", vocabSize);
    requirePositive("hiddenSize", hiddenSize);
    requirePositive("intermediateSize", intermediateSize);
    requirePositive("numHiddenLayers", numHiddenLayers);
    requirePositive("numAttentionHeads", numAttentionHeads);
    requirePositive("numKeyValueHeads", numKeyValueHeads);
    requirePositive("headDim", headDim);
    requirePositive("maxPositionEmbeddings", maxPositionEmbeddings);
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new LorakitInputException("numAttentionHeads (" + numAttentionHeads
          + ") must be a multiple of numKeyValueHeads (" + numKeyValueHeads + ").");
    }
    if (!(rmsNormEps > 0)) throw new LorakitInputException("rmsNormEps must be positive, not " + rmsNormEps + ".");
    if (!(ropeTheta > 0)) throw new LorakitInputException("ropeTheta must be positive, not " + ropeTheta + ".");
    slidingWindow.ifPresent(w -> requirePositive("slidingWindow", w));
    if (dtype.isPresent() && !DTYPES.contains(dtype.get())) {
      throw new LorakitInputException("dtype must be one of " + DTYPES + ", not " + dtype.get() + ".");
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

  /** The width of all query heads together: the output of {@code q_proj}, the input of {@code o_proj}. */
  public int queryDim() {
    return numAttentionHeads * headDim;
  }

  /** The width of all key (or value) heads together: the output of {@code k_proj} and {@code v_proj}. */
  public int kvDim() {
    return numKeyValueHeads * headDim;
  }

  /**
   * The engine's view of this shape: what {@link dev.lorakit.core.nn.Decoder} needs (Mistral's window, 0 for none;
   * {@code max_position_embeddings} as the longest sequence it accepts).
   */
  public DecoderConfig decoderConfig() {
    return new DecoderConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
        numKeyValueHeads, headDim, ropeTheta, rmsNormEps, slidingWindow.orElse(0), tieWordEmbeddings,
        maxPositionEmbeddings);
  }

  /** The first end-of-sequence token. */
  public int eosTokenId() {
    return eosTokenIds.getFirst();
  }

  /**
   * The number of parameters of the model: embedding, the decoder blocks, the final norm and {@code lm_head}
   * (counted once when it is tied to the embedding). LLaMA-2-7B has 6,738,415,616; Mistral-7B-v0.1
   * 7,241,732,096.
   */
  public long parameterCount() {
    long h = hiddenSize;
    long attention = h * queryDim() + 2 * h * kvDim() + (long) queryDim() * h; // q, k, v, o
    long mlp = 3 * h * intermediateSize; // gate, up, down
    long norms = 2 * h; // input_layernorm, post_attention_layernorm
    long embedding = (long) vocabSize * h;
    long lmHead = tieWordEmbeddings ? 0 : embedding;
    return embedding + numHiddenLayers * (attention + mlp + norms) + h + lmHead;
  }

  private static void requirePositive(String name, int value) {
    if (value <= 0) throw new LorakitInputException(name + " must be positive, not " + value + ".");
  }
}
