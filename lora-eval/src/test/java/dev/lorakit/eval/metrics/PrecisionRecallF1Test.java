package dev.lorakit.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorakit.eval.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrecisionRecallF1Test {

  @Test
  void matchesSharedScikitLearnFixture() {
    int n = 0;
    for (JsonNode c : Fixtures.json("prf.json")) {
      PrfReport r =
          PrecisionRecallF1.of(
              strings(c.get("y_true")),
              strings(c.get("y_pred")),
              c.get("zero_division").asDouble());
      String avg = c.get("average").isNull() ? "none" : c.get("average").asText();
      String what =
          "average " + avg + ", zero_division " + c.get("zero_division") + ", " + c.get("y_true");
      switch (avg) {
        case "none" -> {
          assertEquals(strings(c.get("labels")), r.labels(), what);
          for (int i = 0; i < r.perClass().size(); i++) {
            ClassScores s = r.perClass().get(i);
            assertClose(
                c.get("precision").get(i).asDouble(),
                s.precision(),
                "precision of " + s.label() + ", " + what);
            assertClose(
                c.get("recall").get(i).asDouble(),
                s.recall(),
                "recall of " + s.label() + ", " + what);
            assertClose(c.get("f1").get(i).asDouble(), s.f1(), "f1 of " + s.label() + ", " + what);
            assertEquals(
                c.get("support").get(i).asInt(),
                s.support(),
                "support of " + s.label() + ", " + what);
          }
        }
        case "micro" -> assertAveraged(c, r.micro(), what);
        case "macro" -> assertAveraged(c, r.macro(), what);
        case "weighted" -> assertAveraged(c, r.weighted(), what);
        default -> throw new AssertionError(avg);
      }
      n++;
    }
    assertEquals(16, n);
  }

  /**
   * Ten more label sets (support-0 labels, all wrong, 200 cases) with zero_division 0, 1 and NaN.
   */
  @Test
  void matchesGeneratedScikitLearnReferences() {
    int n = 0;
    for (JsonNode c : Fixtures.json("prf_sklearn.json").get("cases")) {
      double zd =
          c.get("zero_division").isTextual() ? Double.NaN : c.get("zero_division").asDouble();
      PrfReport r = PrecisionRecallF1.of(strings(c.get("y_true")), strings(c.get("y_pred")), zd);
      String what = "zero_division " + zd + ", " + c.get("y_true") + " vs " + c.get("y_pred");
      JsonNode pc = c.get("per_class");
      for (int i = 0; i < r.perClass().size(); i++) {
        ClassScores s = r.perClass().get(i);
        assertClose(
            number(pc.get("precision").get(i)),
            s.precision(),
            "precision of " + s.label() + ", " + what);
        assertClose(
            number(pc.get("recall").get(i)), s.recall(), "recall of " + s.label() + ", " + what);
        assertClose(number(pc.get("f1").get(i)), s.f1(), "f1 of " + s.label() + ", " + what);
        assertEquals(pc.get("support").get(i).asInt(), s.support());
      }
      assertEquals(pc.get("support").size(), r.perClass().size(), what);
      assertTriple(c.get("micro"), r.micro(), "micro, " + what);
      assertTriple(c.get("macro"), r.macro(), "macro, " + what);
      assertTriple(c.get("weighted"), r.weighted(), "weighted, " + what);
      n++;
    }
    assertEquals(30, n);
  }

  @Test
  void f1FallsBackToZeroDivisionOnlyWithoutAnyCount() {
    // "b" is predicted once but never true: recall falls back to zero_division, F1 is 2*0/(0+1) =
    // 0.
    PrfReport r = PrecisionRecallF1.of(List.of("a", "a"), List.of("a", "b"), 1);
    ClassScores b = r.perClass().get(1);
    assertEquals("b", b.label());
    assertEquals(0.0, b.precision());
    assertEquals(1.0, b.recall());
    assertEquals(0.0, b.f1());
    assertEquals(0, b.support());
  }

  @Test
  void rejectsMismatchedLengthsAndOddZeroDivision() {
    assertThrows(
        IllegalArgumentException.class, () -> PrecisionRecallF1.of(List.of("a"), List.of(), 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> PrecisionRecallF1.of(List.of("a"), List.of("a"), 0.5));
  }

  @Test
  void accuracyCountsExactMatchesAndTreatsNullAsWrong() {
    List<String> pred = new ArrayList<>(List.of("a", "b", "c"));
    pred.set(2, null);
    assertEquals(1.0 / 3, Accuracy.of(List.of("a", "x", "c"), pred), 0);
    assertEquals(1.0, Accuracy.of(List.of("a"), List.of("a")), 0);
    assertThrows(IllegalArgumentException.class, () -> Accuracy.of(List.of(), List.of()));
    assertThrows(
        IllegalArgumentException.class, () -> Accuracy.of(List.of("a"), List.of("a", "b")));
  }

  private static void assertAveraged(JsonNode c, AveragedScores s, String what) {
    assertClose(c.get("precision").asDouble(), s.precision(), "precision, " + what);
    assertClose(c.get("recall").asDouble(), s.recall(), "recall, " + what);
    assertClose(c.get("f1").asDouble(), s.f1(), "f1, " + what);
  }

  private static void assertTriple(JsonNode t, AveragedScores s, String what) {
    assertClose(number(t.get(0)), s.precision(), "precision, " + what);
    assertClose(number(t.get(1)), s.recall(), "recall, " + what);
    assertClose(number(t.get(2)), s.f1(), "f1, " + what);
  }

  private static double number(JsonNode n) {
    return n.isNull() ? Double.NaN : n.asDouble();
  }

  static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return out;
  }

  static void assertClose(double expected, double actual, String what) {
    assertTrue(
        Fixtures.close(expected, actual, 1e-12),
        what + ": expected " + expected + " but was " + actual);
  }
}
