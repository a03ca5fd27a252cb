package dev.lorakit.eval.answer;

import dev.lorakit.eval.cases.Modality;
import dev.lorakit.eval.cases.Task;
import java.util.Optional;

/**
 * A model's free-text answer turned into the form of the task's reference answer ({@link
 * Task#answer}), so that the two can be compared: the modality's wire name ({@link
 * ModalityParser}), the canonical ICD-10 code ({@link Icd10Parser}), or the regimen with its white
 * space collapsed. Empty when the answer cannot be read; callers count that as wrong and list it as
 * unparsed.
 */
public final class AnswerParser {

  private AnswerParser() {}

  /** The parsed answer for {@code task}, or empty. */
  public static Optional<String> parse(Task task, String answer) {
    if (answer == null) return Optional.empty();
    return switch (task) {
      case MODALITY -> ModalityParser.parse(answer).map(Modality::wireName);
      case ICD10 -> Icd10Parser.parse(answer);
      case REGIMEN -> regimen(answer);
    };
  }

  private static Optional<String> regimen(String answer) {
    String text = answer.strip().replaceAll("\\s+", " ");
    return text.isEmpty() ? Optional.empty() : Optional.of(text);
  }
}
