package dev.lorakit.core.nn;

import dev.lorakit.core.tensor.Tensor;
import java.util.List;

/**
 * The frozen base weights of a decoder, on a backend. lora-models' {@code ModelFolder} makes them
 * from a Hugging Face model folder; tests build them directly.
 *
 * @param embed {@code model.embed_tokens.weight} [vocab, hidden]
 * @param layers the blocks
 * @param norm {@code model.norm.weight} [hidden]
 * @param lmHead {@code lm_head.weight} [vocab, hidden]; the same tensor as {@code embed} when tied
 */
public record DecoderWeights(Tensor embed, List<LayerWeights> layers, Tensor norm, Tensor lmHead) {

  public DecoderWeights {
    layers = List.copyOf(layers);
  }

  /** Gives every tensor back to its backend. */
  public void close() {
    embed.close();
    norm.close();
    lmHead.close();
    for (LayerWeights w : layers) {
      for (Tensor t :
          List.of(
              w.attnNorm(), w.q(), w.k(), w.v(), w.o(), w.mlpNorm(), w.gate(), w.up(), w.down())) {
        t.close();
      }
    }
  }
}
