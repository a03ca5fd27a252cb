package dev.lorakit.eval.metrics;

import java.util.Optional;

/**
 * Turns a model's (or a reference's) free-text answer into the canonical label that is scored, or nothing
 * when no answer can be found in it. Answers that cannot be parsed count as wrong.
 */
@FunctionalInterface
public interface AnswerParser {

  /** The canonical answer found in {@code raw}, or empty. */
  Optional<String> parse(String raw);

  /** Free text, compared after trimming and collapsing runs of whitespace; blank text is no answer. */
  static AnswerParser verbatim() {
    return raw -> {
      if (raw == null) return Optional.empty();
      String s = raw.strip().replaceAll("\\s+", " ");
      return s.isEmpty() ? Optional.empty() : Optional.of(s);
    };
  }

  /** The default modality parser: photon, proton, electron or brachytherapy, with common synonyms. */
  static AnswerParser modality() {
    return new ModalityParser();
  }

  /** The default ICD-10 parser: the first code in the text, upper-cased, with a dot after three characters. */
  static AnswerParser icd10() {
    return new Icd10Parser();
  }
}
