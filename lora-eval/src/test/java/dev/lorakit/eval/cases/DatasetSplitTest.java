package dev.lorakit.eval.cases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DatasetSplitTest {

  /** A dataset of random size and modality mix, from a seed. */
  static List<Case> dataset(long seed) {
    Random r = new Random(seed);
    int n = 1 + r.nextInt(600);
    double[] mix = {r.nextDouble() * 10, r.nextDouble(), r.nextDouble(), r.nextDouble() * 0.3};
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double u = r.nextDouble() * (mix[0] + mix[1] + mix[2] + mix[3]);
      int m = 0;
      while (m < 3 && u >= mix[m]) u -= mix[m++];
      cases.add(
          new Case("case-" + i, "diagnosis " + i, "regimen " + i, Modality.values()[m], "C61"));
    }
    return cases;
  }

  static Stream<Arguments> seeds() {
    Random r = new Random(2024);
    return Stream.generate(
            () -> {
              double train = 0.5 + r.nextDouble() * 0.45;
              double validation = (1 - train) * r.nextDouble();
              return Arguments.of(
                  r.nextLong(), new SplitFractions(train, validation, 1 - train - validation));
            })
        .limit(40);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void everyCaseInExactlyOnePartWithTheMixKept(long seed, SplitFractions f) {
    List<Case> cases = dataset(seed);
    DatasetSplit s = DatasetSplit.stratifiedByModality(cases, f, seed);
    List<Case> all = new ArrayList<>(s.train());
    all.addAll(s.validation());
    all.addAll(s.test());
    assertEquals(cases.size(), all.size());
    assertEquals(new HashSet<>(cases), new HashSet<>(all));
    for (Modality m : Modality.values()) {
      long total = cases.stream().filter(c -> c.modality() == m).count();
      check(total * f.train(), s.train(), m);
      check(total * f.validation(), s.validation(), m);
      check(total * f.test(), s.test(), m);
    }
  }

  private static void check(double exact, List<Case> part, Modality m) {
    long count = part.stream().filter(c -> c.modality() == m).count();
    assertTrue(
        Math.abs(count - exact) < 1 + 1e-9, m + ": " + count + " cases, exact share " + exact);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void deterministicAndIndependentOfInputOrder(long seed, SplitFractions f) {
    List<Case> cases = dataset(seed);
    List<Case> shuffled = new ArrayList<>(cases);
    Collections.shuffle(shuffled, new Random(seed + 1));
    assertEquals(
        DatasetSplit.stratifiedByModality(cases, f, seed),
        DatasetSplit.stratifiedByModality(shuffled, f, seed));
  }

  @Test
  void differentSeedsGiveDifferentSplits() {
    List<Case> cases = dataset(5);
    while (cases.size() < 100) cases = dataset(cases.size() + 7L);
    assertNotEquals(
        DatasetSplit.stratifiedByModality(cases, SplitFractions.DEFAULT, 1).test(),
        DatasetSplit.stratifiedByModality(cases, SplitFractions.DEFAULT, 2).test());
  }

  @Test
  void eightyTenTenOnAThousand() {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      cases.add(
          new Case(
              "c" + i,
              "d",
              "r",
              i < 800
                  ? Modality.PHOTON
                  : i < 900
                      ? Modality.PROTON
                      : i < 960 ? Modality.BRACHYTHERAPY : Modality.ELECTRON,
              "C61"));
    }
    DatasetSplit s =
        DatasetSplit.stratifiedByModality(cases, SplitFractions.parse("0.8/0.1/0.1"), 7);
    assertEquals(800, s.train().size());
    assertEquals(100, s.validation().size());
    assertEquals(100, s.test().size());
    assertEquals(80, s.test().stream().filter(c -> c.modality() == Modality.PHOTON).count());
    assertEquals(4, s.test().stream().filter(c -> c.modality() == Modality.ELECTRON).count());
    Set<String> ids = new HashSet<>();
    for (Case c : s.train()) ids.add(c.id());
    for (Case c : s.test()) assertTrue(ids.add(c.id()));
  }

  @Test
  void sharesAlwaysAddUp() {
    Random r = new Random(11);
    for (int i = 0; i < 2000; i++) {
      int n = r.nextInt(50);
      double a = r.nextDouble(), b = r.nextDouble() * (1 - a);
      SplitFractions f = new SplitFractions(a, b, 1 - a - b);
      int[] c = DatasetSplit.shares(n, f);
      assertEquals(n, c[0] + c[1] + c[2]);
      assertTrue(
          Math.abs(c[0] - n * f.train()) < 1
              && Math.abs(c[1] - n * f.validation()) < 1
              && Math.abs(c[2] - n * f.test()) < 1,
          n + " " + f);
    }
  }

  @Test
  void badFractionsAreRejected() {
    assertThrows(LorakitInputException.class, () -> new SplitFractions(0.8, 0.1, 0.2));
    assertThrows(LorakitInputException.class, () -> new SplitFractions(1.2, -0.1, -0.1));
    assertThrows(LorakitInputException.class, () -> SplitFractions.parse("0.8,0.1,0.1"));
    assertThrows(LorakitInputException.class, () -> SplitFractions.parse("a/b/c"));
    List<Case> twice =
        List.of(
            new Case("a", "d", "r", Modality.PHOTON, "C61"),
            new Case("a", "d", "r", Modality.PHOTON, "C61"));
    assertThrows(
        LorakitInputException.class,
        () -> DatasetSplit.stratifiedByModality(twice, SplitFractions.DEFAULT, 1));
  }
}
