package dev.lorakit.models;

import java.util.OptionalInt;

/**
 * The ids of a tokenizer's special tokens.
 *
 * @param bos beginning of sequence, put before every prompt
 * @param eos end of sequence, where generation stops
 * @param pad the padding token, if the tokenizer or model defines one (LLaMA-2 and Mistral do not)
 * @param unk the unknown token, if the tokenizer has one
 */
public record SpecialTokens(int bos, int eos, OptionalInt pad, OptionalInt unk) {

  /**
   * The id to fill padded positions with: {@link #pad} when there is one, else {@link #unk}, else
   * {@link #eos}. Padded positions are masked out of attention and loss, so any valid id will do;
   * LLaMA-2 and Mistral ship without a pad token.
   */
  public int paddingId() {
    return pad.isPresent() ? pad.getAsInt() : unk.orElse(eos);
  }
}
