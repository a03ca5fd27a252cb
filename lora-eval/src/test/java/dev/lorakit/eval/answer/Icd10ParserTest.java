package dev.lorakit.eval.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class Icd10ParserTest {

  static final List<String> CODES =
      List.of(
          "C50.911", "C50.412", "C61", "C34.11", "C34.2", "C71.6", "C79.31", "C79.51", "C53.9",
          "C54.1", "C20", "C15.5", "C25.0", "C67.9", "C32.0", "C01", "C09.9", "C44.311", "C84.00",
          "C41.0", "C69.32", "C22.0", "D05.11", "C7A.010", "Z51.0");

  static final List<String> FRAMES =
      List.of(
          "%s",
          "%s.",
          "ICD-10: %s",
          "ICD10 code %s",
          "The ICD-10-CM code is %s.",
          "%s - Malignant neoplasm",
          "Code: %s (malignant neoplasm)",
          "**%s**",
          "\"%s\"",
          "[%s]",
          "cT2 N0 M0, code %s",
          "Answer:\n%s\n",
          "%s, stage T2N0M0");

  /**
   * Seeded random phrasings: a code written dotted or undotted, upper or lower case, in a frame.
   */
  static Stream<Arguments> phrasings() {
    Random r = new Random(7);
    return Stream.generate(
            () -> {
              String code = CODES.get(r.nextInt(CODES.size()));
              String written = code;
              boolean neoplasm = code.startsWith("C") || code.startsWith("D");
              if (neoplasm && r.nextBoolean()) written = written.replace(".", "");
              if (r.nextBoolean()) written = written.toLowerCase(Locale.ROOT);
              return Arguments.of(
                  String.format(FRAMES.get(r.nextInt(FRAMES.size())), written), code);
            })
        .limit(300);
  }

  @ParameterizedTest
  @MethodSource("phrasings")
  void findsAndNormalisesTheCode(String answer, String expected) {
    assertEquals(Optional.of(expected), Icd10Parser.parse(answer), answer);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "c50911|C50.911",
        "C61|C61",
        "c79.31|C79.31",
        "C50.911.|C50.911",
        "C61 and C79.51|C61",
        "T2N0M0 prostate, C61|C61",
        "first C34.11 then C34.12|C34.11"
      })
  void examples(String answer, String expected) {
    assertEquals(Optional.of(expected), Icd10Parser.parse(answer));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "breast cancer",
        "T2N0M0",
        "cT2b",
        "pN1a",
        "ICD10",
        "C5",
        "CA 19-9",
        "CD20 positive",
        "C4-C5 disc",
        "Z510",
        "40 Gy in 15 fractions",
        "C50911234"
      })
  void noCodeGivesEmpty(String answer) {
    assertEquals(Optional.empty(), Icd10Parser.parse(answer), answer);
  }
}
