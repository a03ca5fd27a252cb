package dev.lorakit.eval.prompt;

import dev.lorakit.core.LorakitInputException;

/**
 * A prompt with a {@value #PLACEHOLDER} placeholder, replaced by a case's diagnosis. Everything
 * else, braces included, is used as written.
 *
 * @param text the template; must contain {@value #PLACEHOLDER} at least once
 */
public record PromptTemplate(String text) {

  /** The placeholder the diagnosis replaces. */
  public static final String PLACEHOLDER = "{diagnosis}";

  public PromptTemplate {
    if (text == null || !text.contains(PLACEHOLDER)) {
      throw new LorakitInputException("prompt template has no " + PLACEHOLDER + " placeholder.");
    }
  }

  /** The prompt for one diagnosis. */
  public String render(String diagnosis) {
    return text.replace(PLACEHOLDER, diagnosis);
  }
}
