package dev.lorakit.eval.metrics;

import java.util.Locale;

/** The three scored tasks, named by the JSON field that holds each answer. */
public enum ScoreTask {
  /** Free-text treatment regimen; scored by exact match and ROUGE-1. */
  REGIMEN("regimen", AnswerParser.verbatim()),
  /** Treatment modality: photon, proton, electron or brachytherapy. */
  MODALITY("modality", AnswerParser.modality()),
  /** ICD-10 diagnosis code. */
  ICD10("icd10", AnswerParser.icd10());

  private final String field;
  private final AnswerParser defaultParser;

  ScoreTask(String field, AnswerParser defaultParser) {
    this.field = field;
    this.defaultParser = defaultParser;
  }

  /** The JSON field holding the answer, also the task's name on the command line. */
  public String field() {
    return field;
  }

  /** The parser used unless another is given. */
  public AnswerParser defaultParser() {
    return defaultParser;
  }

  public static ScoreTask parse(String s) {
    for (ScoreTask t : values()) if (t.field.equals(s.toLowerCase(Locale.ROOT))) return t;
    throw new IllegalArgumentException("unknown task '" + s + "': expected regimen, modality or icd10.");
  }

  @Override
  public String toString() {
    return field;
  }
}
