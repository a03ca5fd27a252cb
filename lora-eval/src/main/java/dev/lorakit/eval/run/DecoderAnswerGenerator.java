package dev.lorakit.eval.run;

import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.models.Tokenizer;
import java.util.Arrays;

/**
 * Answers with a decoder: the prompt is tokenized (with BOS), continued by the engine's {@link
 * Generator} (KV cache) until EOS or the token limit, and the new tokens are decoded without
 * special tokens. Greedy unless other sampling settings are given.
 */
public final class DecoderAnswerGenerator implements AnswerGenerator {

  private final Generator generator;
  private final Tokenizer tokenizer;
  private final Sampler.Settings sampling;

  /** Greedy decoding with {@code decoder} (its LoRA, if it carries one, is applied). */
  public DecoderAnswerGenerator(Decoder decoder, Tokenizer tokenizer) {
    this(decoder, tokenizer, Sampler.Settings.greedy());
  }

  /** Decoding with the given sampling settings. */
  public DecoderAnswerGenerator(Decoder decoder, Tokenizer tokenizer, Sampler.Settings sampling) {
    this.generator = new Generator(decoder);
    this.tokenizer = tokenizer;
    this.sampling = sampling;
  }

  @Override
  public String answer(String prompt, int maxNewTokens) {
    int[] ids = tokenizer.encode(prompt);
    int eos = tokenizer.specialTokens().eos();
    int[] out = generator.generate(ids, maxNewTokens, eos, sampling);
    int[] fresh = Arrays.copyOfRange(out, ids.length, out.length);
    return tokenizer.decode(fresh, true).strip();
  }
}
