package dev.lorakit.core.nn;

import dev.lorakit.core.LorakitInputException;
import java.util.Arrays;

/** Autoregressive generation of one sequence with a KV cache. */
public final class Generator {

  private final Decoder decoder;

  public Generator(Decoder decoder) {
    this.decoder = decoder;
  }

  /**
   * The prompt followed by up to {@code maxNewTokens} generated tokens; generation stops after
   * {@code eos} (which is kept) unless {@code eos} is negative.
   */
  public int[] generate(int[] prompt, int maxNewTokens, int eos, Sampler.Settings settings) {
    if (prompt.length == 0) {
      throw new LorakitInputException("Generation needs a prompt of at least one token.");
    }
    if (maxNewTokens < 0) {
      throw new LorakitInputException(
          "The number of new tokens must not be negative, not " + maxNewTokens + ".");
    }
    if ((long) prompt.length + maxNewTokens > decoder.config().maxPositions()) {
      throw new LorakitInputException(
          "A prompt of "
              + prompt.length
              + " tokens and "
              + maxNewTokens
              + " new tokens do not fit the model's max_position_embeddings of "
              + decoder.config().maxPositions()
              + ".");
    }
    int vocab = decoder.config().vocab();
    Sampler sampler = new Sampler(settings);
    int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
    int length = prompt.length;
    try (KvCache cache =
        new KvCache(
            decoder.config(),
            decoder.backend(),
            1,
            prompt.length + maxNewTokens,
            decoder.activations())) {
      int[] input = prompt;
      while (length < out.length) {
        float[] logits = decoder.backend().download(decoder.forwardCachedLast(input, 1, cache));
        int next = sampler.next(logits, 0, vocab);
        out[length++] = next;
        if (next == eos) {
          break;
        }
        input = new int[] {next};
      }
    }
    return Arrays.copyOf(out, length);
  }
}
