package dev.lorakit.core.nn;

import dev.lorakit.core.LorakitInputException;

/**
 * The shape of a LLaMA/Mistral decoder: what the engine needs to know, nothing about files or
 * tokenizers.
 *
 * @param vocab vocabulary size
 * @param hidden width of the residual stream
 * @param intermediate width of the MLP
 * @param layers number of decoder blocks
 * @param heads query heads
 * @param kvHeads key/value heads (fewer than {@code heads}: grouped-query attention)
 * @param headDim width of one head
 * @param ropeTheta the base of the rotary frequencies
 * @param rmsEps RMSNorm's epsilon
 * @param slidingWindow Mistral's attention window in tokens, or 0 for full causal attention
 * @param tiedEmbeddings whether the output projection is the embedding table
 * @param maxPositions {@code max_position_embeddings}: the longest sequence the model accepts
 */
public record DecoderConfig(
    int vocab,
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    double ropeTheta,
    double rmsEps,
    int slidingWindow,
    boolean tiedEmbeddings,
    int maxPositions) {

  public DecoderConfig {
    require(vocab > 0, "vocab", vocab);
    require(hidden > 0, "hidden", hidden);
    require(intermediate > 0, "intermediate", intermediate);
    require(layers > 0, "layers", layers);
    require(heads > 0, "heads", heads);
    require(
        kvHeads > 0 && heads % kvHeads == 0, "kvHeads (must divide heads " + heads + ")", kvHeads);
    require(headDim > 0 && headDim % 2 == 0, "headDim (must be even)", headDim);
    require(slidingWindow >= 0, "slidingWindow", slidingWindow);
    require(maxPositions > 0, "maxPositions", maxPositions);
    if (!(ropeTheta > 0) || !(rmsEps > 0)) {
      throw new LorakitInputException(
          "ropeTheta and rmsEps must be positive, not " + ropeTheta + " and " + rmsEps + ".");
    }
  }

  private static void require(boolean ok, String field, int value) {
    if (!ok) {
      throw new LorakitInputException(
          "Decoder config field " + field + " has the invalid value " + value + ".");
    }
  }

  /** Width of all query heads together. */
  public int qWidth() {
    return heads * headDim;
  }

  /** Width of all key (or value) heads together. */
  public int kvWidth() {
    return kvHeads * headDim;
  }
}
