package dev.lorakit.eval.cases;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The written form of ICD-10 (and ICD-10-CM) codes: a letter, two characters for the category, then
 * optionally a dot and one to four characters. The canonical form is upper case with the dot after
 * the category: {@code c50911} and {@code C50.911} are both {@code C50.911}; {@code C61} stays
 * {@code C61}.
 */
public final class Icd10 {

  // Letter, digit, digit-or-letter (C7A, D3A), then an optional extension of up to four characters.
  private static final Pattern CODE =
      Pattern.compile("([A-Z][0-9][0-9A-Z])(?:\\.?([0-9A-Z]{1,4}))?");

  private Icd10() {}

  /** The canonical form of {@code code}, or empty when the whole text is not one ICD-10 code. */
  public static Optional<String> canonical(String code) {
    var m = CODE.matcher(code.strip().toUpperCase(Locale.ROOT));
    if (!m.matches()) return Optional.empty();
    return Optional.of(m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2));
  }

  /** The three-character category of a canonical code: {@code C50.911} -> {@code C50}. */
  public static String category(String canonicalCode) {
    return canonicalCode.substring(0, 3);
  }
}
