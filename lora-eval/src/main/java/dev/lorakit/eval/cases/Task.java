package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;

/** The three questions asked about every case, each answered by one field of the case. */
public enum Task {
  /** The treatment regimen as free text: dose, fractionation and concurrent therapy. */
  REGIMEN("regimen"),
  /** The treatment modality: photon, proton, electron or brachytherapy. */
  MODALITY("modality"),
  /** The ICD-10 diagnosis code. */
  ICD10("icd10");

  private final String answerField;

  Task(String answerField) {
    this.answerField = answerField;
  }

  /** The JSONL field that holds this task's reference answer. */
  public String answerField() {
    return answerField;
  }

  /**
   * This task's reference answer for {@code c}, as text (the modality as its wire name).
   *
   * @throws LorakitInputException if {@code c} has none ({@link Case#has})
   */
  public String answer(Case c) {
    if (!c.has(this))
      throw new LorakitInputException("case " + c.id() + " has no " + answerField + ".");
    return switch (this) {
      case REGIMEN -> c.regimen();
      case MODALITY -> c.modality().wireName();
      case ICD10 -> c.icd10();
    };
  }

  /**
   * The task whose answer field or name is {@code text} (case-insensitive), e.g. "icd10" or
   * "ICD10".
   */
  public static Task fromName(String text) {
    for (Task t : values()) {
      if (t.answerField.equalsIgnoreCase(text.strip()) || t.name().equalsIgnoreCase(text.strip()))
        return t;
    }
    throw new LorakitInputException(
        "unknown task '" + text + "', expected regimen, modality or icd10.");
  }

  /**
   * The answer field, e.g. {@code modality}: the task's name in files, reports and on the command
   * line.
   */
  @Override
  public String toString() {
    return answerField;
  }
}
