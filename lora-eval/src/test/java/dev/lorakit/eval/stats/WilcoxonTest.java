package dev.lorakit.eval.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WilcoxonTest {

  private static final double REL = 1e-12;

  static Stream<Arguments> sharedFixture() {
    List<Arguments> out = new ArrayList<>();
    int i = 0;
    for (JsonNode c : Fixtures.json("wilcoxon.json")) {
      out.add(Arguments.of(i++, c));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "wilcoxon.json case {0}")
  @MethodSource("sharedFixture")
  void matchesSharedScipyFixture(int index, JsonNode c) {
    Wilcoxon w =
        new Wilcoxon(
            ZeroMethod.parse(c.get("zero_method").asText()),
            c.get("correction").asBoolean(),
            Alternative.parse(c.get("alternative").asText()),
            WilcoxonMethod.parse(c.get("method").asText()));
    WilcoxonResult r = w.test(doubles(c.get("d")));
    assertClose(c.get("statistic").asDouble(), r.statistic(), "statistic of case " + index);
    assertClose(c.get("pvalue").asDouble(), r.pvalue(), "p-value of case " + index);
  }

  /**
   * 2,115 further scipy 1.17.1 results: every zero method, alternative and method, n from 1 to 60.
   */
  @Test
  void matchesGeneratedScipyReferences() {
    int checked = 0;
    for (JsonNode c : Fixtures.json("wilcoxon_scipy.json")) {
      double[] d = doubles(c.get("d"));
      for (JsonNode r : c.get("results")) {
        Wilcoxon w =
            new Wilcoxon(
                ZeroMethod.parse(r.get(0).asText()),
                r.get(1).asBoolean(),
                Alternative.parse(r.get(2).asText()),
                WilcoxonMethod.parse(r.get(3).asText()));
        WilcoxonResult got = w.test(d);
        String what = w + " on n=" + d.length + " " + Arrays.toString(d);
        assertClose(r.get(4).asDouble(), got.statistic(), "statistic of " + what);
        assertClose(r.get(5).asDouble(), got.pvalue(), "p-value of " + what);
        checked++;
      }
    }
    assertEquals(2115, checked);
  }

  @Test
  void autoPicksScipysMethod() {
    Wilcoxon auto = Wilcoxon.defaults();
    assertEquals(
        WilcoxonMethod.EXACT, auto.test(new double[] {0.12, 0.35, -0.05, 0.4, 0.22}).method());
    // a zero among 10 differences: all 2^10 sign flips
    assertEquals(
        WilcoxonMethod.PERMUTATION,
        auto.test(new double[] {0.1, 0.2, 0.2, -0.1, 0.0, 0.3, 0.2, -0.4, 0.5, 0.1}).method());
    double[] tiedFourteen = new double[14];
    for (int i = 0; i < 14; i++) tiedFourteen[i] = (i % 3) - 0.5;
    assertEquals(WilcoxonMethod.ASYMPTOTIC, auto.test(tiedFourteen).method());
    double[] distinct51 = new double[51];
    for (int i = 0; i < 51; i++) distinct51[i] = (i + 1) * (i % 2 == 0 ? 1 : -1.001);
    assertEquals(WilcoxonMethod.ASYMPTOTIC, auto.test(distinct51).method());
    assertEquals(WilcoxonMethod.EXACT, auto.test(Arrays.copyOf(distinct51, 50)).method());
  }

  @Test
  void exactDistributionCountsSubsetSums() {
    // n = 4: subsets of {1,2,3,4} by sum 0..10 are 1,1,1,2,2,2,2,2,1,1,1.
    SignedRankDistribution dist = new SignedRankDistribution(4);
    long[] counts = {1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1};
    double total = 0;
    for (int k = 0; k < counts.length; k++) {
      assertEquals(counts[k] / 16.0, dist.pmf(k), 0.0);
      total += dist.pmf(k);
    }
    assertEquals(1.0, total, 0.0);
    assertEquals(3 / 16.0, dist.cdf(2), 0.0);
    assertEquals(3 / 16.0, dist.sf(8), 0.0);
    assertEquals(1.0, dist.sf(0), 0.0);
    assertEquals(1.0, dist.cdf(10), 0.0);
  }

  @Test
  void statisticIsPositiveRankSumOneSidedAndSmallerSumTwoSided() {
    double[] d = {1.5, -0.5, 2.5, -3.5, 4.5};
    // ranks of |d|: 2, 1, 3, 4, 5 -> R+ = 2 + 3 + 5 = 10, R- = 1 + 4 = 5
    assertEquals(
        10.0, Wilcoxon.defaults().withAlternative(Alternative.GREATER).test(d).statistic());
    assertEquals(5.0, Wilcoxon.defaults().test(d).statistic());
  }

  @Test
  void rejectsEmptyAndNonFiniteInput() {
    assertThrows(LorakitInputException.class, () -> Wilcoxon.defaults().test(new double[0]));
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> Wilcoxon.defaults().test(new double[] {1, Double.NaN}));
    assertTrue(e.getMessage().contains("difference 2"), e.getMessage());
    assertThrows(
        LorakitInputException.class,
        () -> new Wilcoxon(ZeroMethod.WILCOX, false, Alternative.LESS, WilcoxonMethod.PERMUTATION));
  }

  @Test
  void normalCdfMatchesScipyNdtr() {
    for (JsonNode c : Fixtures.json("ndtr_scipy.json")) {
      double x = c.get("x").asDouble();
      assertClose(c.get("ndtr").asDouble(), NormalDistribution.cdf(x), "ndtr(" + x + ")");
    }
  }

  static double[] doubles(JsonNode a) {
    double[] d = new double[a.size()];
    for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
    return d;
  }

  static void assertClose(double expected, double actual, String what) {
    assertTrue(
        Fixtures.close(expected, actual, REL),
        what + ": expected " + expected + " but was " + actual);
  }
}
