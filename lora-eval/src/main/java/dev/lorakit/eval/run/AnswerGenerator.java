package dev.lorakit.eval.run;

/**
 * A model that answers a prompt with text: the seam between the evaluation and the engine, so that
 * the evaluation can be tested with a fake.
 */
@FunctionalInterface
public interface AnswerGenerator {

  /**
   * The model's continuation of {@code prompt}, at most {@code maxNewTokens} tokens, without the
   * prompt.
   */
  String answer(String prompt, int maxNewTokens);
}
