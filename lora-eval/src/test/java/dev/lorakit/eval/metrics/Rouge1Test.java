package dev.lorakit.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorakit.eval.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class Rouge1Test {

  @Test
  void matchesSharedRougeScoreFixture() {
    int n = 0;
    for (JsonNode c : Fixtures.json("rouge1.json")) {
      RougeScore s =
          new Rouge1(c.get("use_stemmer").asBoolean())
              .score(c.get("target").asText(), c.get("prediction").asText());
      String what = c.get("prediction").asText() + " (stemmer " + c.get("use_stemmer") + ")";
      assertClose(c.get("precision").asDouble(), s.precision(), "precision of " + what);
      assertClose(c.get("recall").asDouble(), s.recall(), "recall of " + what);
      assertClose(c.get("fmeasure").asDouble(), s.fmeasure(), "F of " + what);
      n++;
    }
    assertEquals(8, n);
  }

  @Test
  void tokenizerKeepsRunsOfLowerCaseLettersAndDigits() {
    RougeTokenizer plain = new RougeTokenizer(false);
    assertEquals(
        List.of("40", "05gy", "15fx", "tumor", "bed"), plain.tokenize("40.05Gy/15fx; Tumor-bed!"));
    assertEquals(List.of(), plain.tokenize("  ,;:  "));
    // Non-ASCII letters separate tokens; Unicode lower-casing happens first (KELVIN SIGN -> k).
    assertEquals(List.of("caf", "k", "x"), plain.tokenize("Caf\u00e9 \u212a x"));
    RougeTokenizer stemming = new RougeTokenizer(true);
    // Only tokens longer than three characters are stemmed: "dies" -> "die", but "was" is not cut
    // to "wa".
    assertEquals(
        List.of("fraction", "die", "was", "irradi"),
        stemming.tokenize("fractions dies was irradiated"));
    assertEquals("wa", new PorterStemmer().stem("was"));
  }

  @Test
  void overlapIsClippedByCounts() {
    // target: the x3, cat; prediction: the x1, cat x2 -> overlap 1 + 1 = 2; P = 2/3, R = 2/4
    RougeScore s = new Rouge1(false).score("the the the cat", "the cat cat");
    assertEquals(2.0 / 3, s.precision(), 0);
    assertEquals(0.5, s.recall(), 0);
    assertEquals(2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), s.fmeasure(), 0);
  }

  @Test
  void emptySidesScoreZero() {
    assertEquals(RougeScore.ZERO, new Rouge1(true).score("", ""));
    assertEquals(RougeScore.ZERO, new Rouge1(false).score("target words", ""));
    assertEquals(RougeScore.ZERO, new Rouge1(false).score("target words", "nothing shared"));
  }

  static void assertClose(double expected, double actual, String what) {
    assertTrue(
        Fixtures.close(expected, actual, 1e-12),
        what + ": expected " + expected + " but was " + actual);
  }
}
