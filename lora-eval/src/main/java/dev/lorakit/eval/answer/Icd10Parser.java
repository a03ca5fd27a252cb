package dev.lorakit.eval.answer;

import dev.lorakit.eval.cases.Icd10;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds an ICD-10 code in a free-text answer and writes it in canonical form: {@code c50911} and
 * {@code C50.911} give {@code C50.911}, {@code C61} stays {@code C61}, {@code c79.31} gives {@code
 * C79.31}.
 *
 * <p>The rule: the first whole word shaped like a code counts. Codes of the neoplasm chapter
 * (C00-D49) are recognised with or without the dot; codes of other chapters only with the dot (e.g.
 * Z51.0), because undotted words such as "T2N0M0" would otherwise read as codes. A word glued to
 * letters or digits on either side ("cT2", "ICD10") is not a code. No code: empty.
 */
public final class Icd10Parser {

  private static final Pattern CODE =
      Pattern.compile(
          "(?<![\\p{L}\\p{N}])(?:([CD][0-9][0-9AB](?:\\.?[0-9A-Z]{1,4})?)|([A-Z][0-9][0-9A-Z]\\.[0-9A-Z]{1,4}))(?![\\p{L}\\p{N}])",
          Pattern.CASE_INSENSITIVE);

  private Icd10Parser() {}

  /** The first ICD-10 code in {@code answer}, canonical, or empty. */
  public static Optional<String> parse(String answer) {
    if (answer == null) return Optional.empty();
    Matcher m = CODE.matcher(answer);
    if (!m.find()) return Optional.empty();
    return Icd10.canonical(m.group(1) != null ? m.group(1) : m.group(2));
  }
}
