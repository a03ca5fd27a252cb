package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The counter-based normal draws: standard moments, independent of the order of evaluation, seeds
 * differ.
 */
class RandomInitTest {

  @Test
  void drawsAreStandardNormalAndDependOnlyOnSeedAndIndex() {
    int n = 200_000;
    double sum = 0;
    double sq = 0;
    double quart = 0;
    for (int i = 0; i < n; i++) {
      double x = RandomInit.normal(7, i);
      assertTrue(Double.isFinite(x), "draw " + i);
      sum += x;
      sq += x * x;
      quart += x * x * x * x;
    }
    double mean = sum / n;
    double var = sq / n - mean * mean;
    assertEquals(0, mean, 0.01);
    assertEquals(1, var, 0.015);
    assertEquals(3, quart / n, 0.08, "kurtosis of a normal");
    assertEquals(RandomInit.normal(7, 123_456), RandomInit.normal(7, 123_456));
    assertNotEquals(RandomInit.normal(7, 5), RandomInit.normal(8, 5));
    assertNotEquals(RandomInit.normal(7, 5), RandomInit.normal(7, 6));
  }
}
