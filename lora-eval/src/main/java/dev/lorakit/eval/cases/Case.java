package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One patient case: the diagnostic details and up to three reference answers. This is one line of a
 * case file ({@link CaseFile}): {@code {"id", "diagnosis", "regimen", "modality", "icd10"}}. Any
 * further fields of the line are kept, in their order, in {@code extra} and written back unchanged.
 *
 * <p>A reference answer is null where the case has none: an unlabelled patient ({@code {"id",
 * "diagnosis"}}) to be answered, or a case labelled for some tasks only ({@link #has}).
 *
 * @param id unique within a dataset
 * @param diagnosis the patient's diagnostic details, the model's input
 * @param regimen the treatment regimen as free text, or null
 * @param modality the treatment modality, or null
 * @param icd10 the ICD-10 code in canonical form (see {@link Icd10#canonical}), or null
 * @param extra further JSON fields: String, Number, Boolean, null, List or Map values
 */
public record Case(
    String id,
    String diagnosis,
    String regimen,
    Modality modality,
    String icd10,
    Map<String, Object> extra) {

  /** The names of the fields every case has, in the order they are written. */
  public static final List<String> FIELDS =
      List.of("id", "diagnosis", "regimen", "modality", "icd10");

  public Case {
    requireText(id, "id");
    requireText(diagnosis, "diagnosis");
    if (regimen != null) requireText(regimen, "regimen");
    if (icd10 != null) {
      String canonical =
          Icd10.canonical(icd10)
              .orElseThrow(
                  () ->
                      new LorakitInputException(
                          "case "
                              + id
                              + ": icd10 '"
                              + icd10
                              + "' is not an ICD-10 code such as C50.911 or C61."));
      if (!canonical.equals(icd10)) {
        throw new LorakitInputException(
            "case "
                + id
                + ": icd10 '"
                + icd10
                + "' is not in canonical form, expected "
                + canonical
                + ".");
      }
    }
    for (String f : extra.keySet()) {
      if (FIELDS.contains(f))
        throw new LorakitInputException("case " + id + ": extra field '" + f + "' clashes.");
    }
    extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
  }

  /** A case without extra fields. */
  public Case(String id, String diagnosis, String regimen, Modality modality, String icd10) {
    this(id, diagnosis, regimen, modality, icd10, Map.of());
  }

  /** An unlabelled case: the diagnosis alone, to be answered. */
  public static Case unlabelled(String id, String diagnosis) {
    return new Case(id, diagnosis, null, null, null, Map.of());
  }

  /** Whether this case holds the reference answer of {@code task}. */
  public boolean has(Task task) {
    return switch (task) {
      case REGIMEN -> regimen != null;
      case MODALITY -> modality != null;
      case ICD10 -> icd10 != null;
    };
  }

  private static void requireText(String value, String field) {
    if (value == null || value.isBlank())
      throw new LorakitInputException("case field '" + field + "' is empty.");
  }
}
