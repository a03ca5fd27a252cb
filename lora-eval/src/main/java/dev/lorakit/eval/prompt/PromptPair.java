package dev.lorakit.eval.prompt;

import java.util.Objects;

/**
 * One training or evaluation example, split where the answer begins so that training can mask the
 * prompt's tokens out of the loss: tokenize {@code prompt}, then {@code completion}, then append
 * the tokenizer's end-of-sequence token; only the completion and the EOS carry labels.
 *
 * @param prompt the instruction with the patient's diagnosis, ending where the answer starts
 * @param completion the reference answer, without an end-of-sequence token
 */
public record PromptPair(String prompt, String completion) {

  public PromptPair {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
  }

  /** The prompt and completion together, as the model sees them at training time (without EOS). */
  public String text() {
    return prompt + completion;
  }
}
