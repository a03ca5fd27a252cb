package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tiled attention backward against the per-query path it replaced, on sizes that do not fall on
 * its tiles: sequences that are not a multiple of the key tile ({@link Attention#KB}) or the query
 * block, GQA groups, windows shorter and longer than a tile, head widths off the vector width; and
 * the forward's promises (a query alone gives its row of the full pass bit for bit; no thread count
 * changes a bit).
 */
class AttentionTest {

  private static float[] random(Random rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return x;
  }

  private static double relL2(float[] actual, float[] expected) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < actual.length; i++) {
      num += Math.pow((double) actual[i] - expected[i], 2);
      den += Math.pow(expected[i], 2);
    }
    return Math.sqrt(num / den);
  }

  @ParameterizedTest(name = "heads {0}/{1} d {2} n {3} window {4}")
  @CsvSource({
    "4, 4, 32, 75, 0",
    "4, 1, 17, 130, 0",
    "6, 2, 8, 65, 5",
    "4, 2, 33, 150, 70",
    "8, 2, 16, 257, 0",
    "2, 2, 64, 3, 0",
    "4, 2, 20, 200, 64"
  })
  void backwardMatchesThePerQueryPath(int heads, int kvHeads, int d, int n, int window) {
    Random rnd = new Random(heads * 1000 + d * 10 + n + window);
    int batch = 2;
    float[] q = random(rnd, batch * n * heads * d);
    float[] k = random(rnd, batch * n * kvHeads * d);
    float[] v = random(rnd, batch * n * kvHeads * d);
    float[] dOut = random(rnd, q.length);
    // Gradients already holding something: the backward adds to them.
    float[] dq0 = random(rnd, q.length);
    float[] dk0 = random(rnd, k.length);
    float[] dv0 = random(rnd, v.length);
    float[] out = new float[q.length];
    float[] lse = new float[batch * heads * n];
    float[][] tiled = {dq0.clone(), dk0.clone(), dv0.clone()};
    float[][] perQuery = {dq0.clone(), dk0.clone(), dv0.clone()};
    try (Parallel par = new Parallel(2)) {
      Attention.forward(par, q, k, v, out, lse, batch, n, n, heads, kvHeads, d, 0, n, window);
      Attention.backward(
          par, dOut, q, k, v, out, lse, tiled[0], tiled[1], tiled[2], batch, n, heads, kvHeads, d,
          window);
      AttentionPerQuery.backward(
          par,
          dOut,
          q,
          k,
          v,
          out,
          lse,
          perQuery[0],
          perQuery[1],
          perQuery[2],
          batch,
          n,
          heads,
          kvHeads,
          d,
          window);
    }
    String[] names = {"dq", "dk", "dv"};
    float[][] before = {dq0, dk0, dv0};
    for (int i = 0; i < 3; i++) {
      // Compare the added gradients, not the sums with the random start, so that the bound means
      // something.
      float[] got = minus(tiled[i], before[i]);
      float[] want = minus(perQuery[i], before[i]);
      double err = relL2(got, want);
      assertTrue(err < 1e-5, names[i] + " relative L2 " + err);
    }
  }

  private static float[] minus(float[] a, float[] b) {
    float[] d = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  /**
   * The tiled forward gives the query-by-query forward's bits: scores, exponentials, output and
   * log-sum-exp, on head widths below, at and off the vector width, GQA groups, windows, sequences
   * off the tiles, and queries that continue a cache (a prompt read in pieces).
   */
  @ParameterizedTest(name = "heads {0}/{1} d {2} n {3} window {4} after {5} cached")
  @CsvSource({
    "4, 4, 32, 75, 0, 0",
    "4, 1, 17, 130, 0, 0",
    "6, 2, 8, 65, 5, 0",
    "4, 2, 33, 150, 70, 0",
    "8, 2, 16, 257, 0, 0",
    "2, 2, 64, 4, 0, 0",
    "4, 2, 20, 200, 64, 0",
    "4, 4, 128, 97, 0, 0",
    "2, 1, 48, 40, 0, 90",
    "4, 2, 16, 37, 33, 100",
    "2, 2, 3, 9, 0, 5"
  })
  void tiledForwardGivesThePerQueryBits(
      int heads, int kvHeads, int d, int n, int window, int cached) {
    Random rnd = new Random(7L * heads + 131L * d + n + 17L * window + cached);
    int batch = 2;
    int capacity = cached + n + 3;
    float[] q = random(rnd, batch * n * heads * d);
    float[] k = random(rnd, batch * capacity * kvHeads * d);
    float[] v = random(rnd, batch * capacity * kvHeads * d);
    float[] tiled = new float[q.length];
    float[] byQuery = new float[q.length];
    float[] tiledLse = new float[batch * heads * n];
    float[] byQueryLse = new float[batch * heads * n];
    try (Parallel par = new Parallel(2)) {
      Attention.forward(
          par,
          q,
          k,
          v,
          tiled,
          tiledLse,
          batch,
          n,
          capacity,
          heads,
          kvHeads,
          d,
          cached,
          cached + n,
          window);
      Attention.forwardByQuery(
          par,
          q,
          k,
          v,
          byQuery,
          byQueryLse,
          batch,
          n,
          capacity,
          heads,
          kvHeads,
          d,
          cached,
          cached + n,
          window);
    }
    assertArrayEquals(byQuery, tiled, "output");
    assertArrayEquals(byQueryLse, tiledLse, "log-sum-exp");
  }

  /**
   * A decoding step (one query against the cache) reproduces its row of the full pass bit for bit.
   */
  @ParameterizedTest(name = "heads {0}/{1} d {2} window {3}")
  @CsvSource({"4, 2, 32, 0", "6, 3, 19, 70", "4, 4, 16, 5"})
  void aQueryAloneGivesItsRowOfTheFullPassBitForBit(int heads, int kvHeads, int d, int window) {
    Random rnd = new Random(31 + heads + d + window);
    int n = 300;
    int qRow = heads * d;
    float[] q = random(rnd, n * qRow);
    float[] k = random(rnd, n * kvHeads * d);
    float[] v = random(rnd, n * kvHeads * d);
    float[] out = new float[q.length];
    float[] lse = new float[heads * n];
    try (Parallel par = new Parallel(2)) {
      Attention.forward(par, q, k, v, out, lse, 1, n, n, heads, kvHeads, d, 0, n, window);
      for (int t : new int[] {0, 1, 63, 64, 65, 130, 255, 256, 299}) {
        float[] one = new float[qRow];
        float[] oneLse = new float[heads];
        Attention.forward(
            par,
            Arrays.copyOfRange(q, t * qRow, (t + 1) * qRow),
            k,
            v,
            one,
            oneLse,
            1,
            1,
            n,
            heads,
            kvHeads,
            d,
            t,
            t + 1,
            window);
        assertArrayEquals(Arrays.copyOfRange(out, t * qRow, (t + 1) * qRow), one, "position " + t);
        for (int h = 0; h < heads; h++) {
          assertTrue(oneLse[h] == lse[h * n + t], "log-sum-exp at position " + t + ", head " + h);
        }
      }
    }
  }

  @Test
  void theThreadCountDoesNotChangeABit() {
    Random rnd = new Random(5);
    int batch = 2;
    int n = 100;
    int heads = 4;
    int kvHeads = 2;
    int d = 24;
    float[] q = random(rnd, batch * n * heads * d);
    float[] k = random(rnd, batch * n * kvHeads * d);
    float[] v = random(rnd, batch * n * kvHeads * d);
    float[] dOut = random(rnd, q.length);
    float[][] results = new float[2][];
    int i = 0;
    for (int threads : new int[] {1, 3}) {
      try (Parallel par = new Parallel(threads)) {
        float[] out = new float[q.length];
        float[] lse = new float[batch * heads * n];
        float[] dq = new float[q.length];
        float[] dk = new float[k.length];
        float[] dv = new float[v.length];
        Attention.forward(par, q, k, v, out, lse, batch, n, n, heads, kvHeads, d, 0, n, 40);
        Attention.backward(
            par, dOut, q, k, v, out, lse, dq, dk, dv, batch, n, heads, kvHeads, d, 40);
        float[] all = new float[out.length + lse.length + dq.length + dk.length + dv.length];
        int o = 0;
        for (float[] part : new float[][] {out, lse, dq, dk, dv}) {
          System.arraycopy(part, 0, all, o, part.length);
          o += part.length;
        }
        results[i++] = all;
      }
    }
    assertArrayEquals(results[0], results[1]);
  }
}
