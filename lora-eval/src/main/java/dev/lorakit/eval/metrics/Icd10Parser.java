package dev.lorakit.eval.metrics;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the first ICD-10 code in an answer ({@code [A-Z]\d{2}(\.?[0-9A-Z]{1,4})?}, any case, not inside a
 * longer word) and writes it the canonical way: upper case, a dot after the category's three characters
 * ({@code c50911} and {@code C50.911} both become {@code C50.911}; {@code c61} becomes {@code C61}).
 */
final class Icd10Parser implements AnswerParser {

  private static final Pattern CODE =
      Pattern.compile("(?<![A-Za-z0-9.])([A-Za-z]\\d{2})(?:\\.?([0-9A-Za-z]{1,4}))?(?![0-9A-Za-z])");

  @Override
  public Optional<String> parse(String raw) {
    if (raw == null) return Optional.empty();
    Matcher m = CODE.matcher(raw);
    if (!m.find()) return Optional.empty();
    String category = m.group(1).toUpperCase(Locale.ROOT);
    String detail = m.group(2);
    return Optional.of(detail == null ? category : category + "." + detail.toUpperCase(Locale.ROOT));
  }
}
