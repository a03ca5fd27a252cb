package dev.lorakit.eval.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IntervalsTest {

  @Test
  void bootstrapIsDeterministicForASeed() {
    double[] v = new double[100];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < v.length; i++) v[i] = r.nextDouble();
    ConfidenceInterval a = new Bootstrap(2000, 42).mean95(v);
    ConfidenceInterval b = new Bootstrap(2000, 42).mean95(v);
    ConfidenceInterval c = new Bootstrap(2000, 43).mean95(v);
    assertEquals(a, b);
    assertNotEquals(a.lower(), c.lower());
    assertEquals(Bootstrap.mean(v), a.estimate(), 0);
  }

  @Test
  void bootstrapWidthMatchesTheoryForAProportion() {
    // 100 of 200 correct: the interval of the mean is about +-1.96 * sqrt(0.25 / 200) = +-0.069
    double[] v = new double[200];
    for (int i = 0; i < 100; i++) v[i] = 1;
    ConfidenceInterval ci = new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, 7).mean95(v);
    assertEquals(0.5, ci.estimate(), 0);
    assertTrue(ci.lower() < 0.5 && ci.upper() > 0.5, ci.toString());
    assertEquals(0.139, ci.upper() - ci.lower(), 0.02, ci.toString());
    ConfidenceInterval constant = new Bootstrap(500, 7).mean95(new double[] {0.3, 0.3, 0.3});
    assertEquals(0.3, constant.lower(), 1e-15);
    assertEquals(0.3, constant.upper(), 1e-15);
    assertThrows(LorakitInputException.class, () -> new Bootstrap(10, 1).mean95(new double[0]));
  }

  @Test
  void percentileInterpolatesLikeNumpy() {
    double[] sorted = {1, 2, 3, 4};
    assertEquals(1.75, Bootstrap.percentile(sorted, 0.25), 0); // numpy.percentile([1,2,3,4], 25)
    assertEquals(3.925, Bootstrap.percentile(sorted, 0.975), 1e-15);
    assertEquals(1.0, Bootstrap.percentile(sorted, 0), 0);
    assertEquals(4.0, Bootstrap.percentile(sorted, 1), 0);
  }

  @Test
  void wilsonMatchesTextbookValues() {
    // 8 of 10: the Wilson 95% interval is [0.4902, 0.9433]; 0 of 20: [0, 0.1611]
    ConfidenceInterval ci = WilsonInterval.of95(8, 10);
    assertEquals(0.8, ci.estimate(), 0);
    assertEquals(0.490162, ci.lower(), 1e-6);
    assertEquals(0.943318, ci.upper(), 1e-6);
    ConfidenceInterval none = WilsonInterval.of95(0, 20);
    assertEquals(0.0, none.lower(), 0);
    assertEquals(0.161125, none.upper(), 1e-6);
    assertThrows(IllegalArgumentException.class, () -> WilsonInterval.of95(3, 0));
    assertThrows(IllegalArgumentException.class, () -> WilsonInterval.of95(4, 3));
  }
}
