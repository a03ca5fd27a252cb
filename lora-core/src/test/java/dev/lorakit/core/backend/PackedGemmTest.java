package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The blocked matmul against a double-precision product, on shapes chosen to hit every edge: single
 * elements, sizes that are no multiple of the register tile, products deeper than one {@link
 * PackedGemm#KC} block, taller than one {@link PackedGemm#MC} block, wider than one {@link
 * PackedGemm#NC} panel, narrow outputs (computed transposed) and thin ones (streamed); and the LoRA
 * products, which {@link SkinnyGemm} computes, against the double product and against the packed
 * path bit for bit.
 */
class PackedGemmTest {

  private static final CpuBackend BE = new CpuBackend(2);

  @AfterAll
  static void close() {
    BE.close();
  }

  /** One product: the operands as stored, their layouts, and the batch arrangement. */
  private record Case(
      int batch,
      boolean sharedA,
      boolean sharedB,
      int m,
      int n,
      int k,
      boolean ta,
      boolean tb,
      float[] a,
      float[] b,
      float[] c) {

    static Case random(
        long seed,
        int batch,
        boolean sharedA,
        boolean sharedB,
        int m,
        int n,
        int k,
        boolean ta,
        boolean tb) {
      Random rnd = new Random(seed);
      return new Case(
          batch,
          sharedA,
          sharedB,
          m,
          n,
          k,
          ta,
          tb,
          GradCheck.random(rnd, (sharedA ? 1 : batch) * m * k, 1),
          GradCheck.random(rnd, (sharedB ? 1 : batch) * k * n, 1),
          GradCheck.random(rnd, batch * m * n, 1));
    }

    int[] aDims() {
      int[] mat = ta ? new int[] {k, m} : new int[] {m, k};
      return batch == 1 || sharedA ? mat : new int[] {batch, mat[0], mat[1]};
    }

    int[] bDims() {
      int[] mat = tb ? new int[] {n, k} : new int[] {k, n};
      return batch == 1 || sharedB ? mat : new int[] {batch, mat[0], mat[1]};
    }

    int[] cDims() {
      return batch == 1 ? new int[] {m, n} : new int[] {batch, m, n};
    }

    float[] run(CpuBackend backend, float alpha, float beta) {
      Tensor tc = backend.upload(c, DType.F32, Shape.of(cDims()));
      backend.matmul(
          backend.upload(a, DType.F32, Shape.of(aDims())),
          ta,
          backend.upload(b, DType.F32, Shape.of(bDims())),
          tb,
          tc,
          alpha,
          beta);
      return backend.download(tc);
    }

    double aAt(int p, int i, int kk) {
      int o = sharedA ? 0 : p * m * k;
      return ta ? a[o + kk * m + i] : a[o + i * k + kk];
    }

    double bAt(int p, int kk, int j) {
      int o = sharedB ? 0 : p * k * n;
      return tb ? b[o + j * k + kk] : b[o + kk * n + j];
    }

    /**
     * Checks every element against the double product within the bound any float summation order
     * meets: {@code |error| <= (k + 2) u (|alpha| sum |a b| + |beta c|)}, {@code u = 2^-24}. A
     * wrong or missing term is of the order of {@code sum |a b|} itself, far outside it.
     */
    void check(float[] actual, float alpha, float beta) {
      double u = 0x1.0p-24;
      for (int p = 0; p < batch; p++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double sum = 0;
            double abs = 0;
            for (int kk = 0; kk < k; kk++) {
              double t = aAt(p, i, kk) * bAt(p, kk, j);
              sum += t;
              abs += Math.abs(t);
            }
            int ci = (p * m + i) * n + j;
            double old = beta == 0 ? 0 : beta * (double) c[ci];
            double expected = alpha * sum + old;
            double bound =
                (k + 2) * u * (Math.abs(alpha) * abs + Math.abs(old)) + Double.MIN_NORMAL;
            double err = Math.abs(actual[ci] - expected);
            if (!(err <= bound)) {
              throw new AssertionError(
                  "c["
                      + p
                      + ", "
                      + i
                      + ", "
                      + j
                      + "] = "
                      + actual[ci]
                      + ", expected "
                      + expected
                      + " (error "
                      + err
                      + " > bound "
                      + bound
                      + ") for "
                      + this);
            }
          }
        }
      }
    }

    @Override
    public String toString() {
      return "batch "
          + batch
          + (sharedA ? " (A shared)" : "")
          + (sharedB ? " (B shared)" : "")
          + ", m "
          + m
          + ", n "
          + n
          + ", k "
          + k
          + ", "
          + (ta ? "A^T" : "A")
          + (tb ? " B^T" : " B");
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
  @CsvSource({
    "1, 1, 1, false, false",
    "1, 1, 1, false, true",
    "1, 1, 1, true, false",
    "1, 1, 1, true, true",
    "7, 13, 5, false, false",
    "7, 13, 5, false, true",
    "7, 13, 5, true, false",
    "7, 13, 5, true, true",
    "33, 65, 17, false, false",
    "33, 65, 17, false, true",
    "33, 65, 17, true, false",
    "33, 65, 17, true, true",
    "12, 32, 256, false, true",
    "24, 64, 512, false, false",
    "4, 31, 257, true, false",
    "3, 40, 300, false, true",
    "250, 97, 600, false, false",
    "250, 97, 600, false, true",
    "250, 97, 600, true, false",
    "250, 97, 600, true, true",
    "261, 4133, 3, false, true",
    "13, 4129, 270, true, false",
    "300, 8, 300, false, false",
    "300, 8, 300, false, true",
    "300, 8, 300, true, false",
    "300, 8, 300, true, true",
    "40, 31, 5, false, true",
    "32, 1, 64, true, false",
    "13, 4200, 2000, false, true",
    "50, 70, 2500, false, false",
    "300, 517, 1030, false, false",
    "300, 517, 1030, false, true",
    "300, 517, 1030, true, false",
  })
  void matchesTheDoubleProduct(int m, int n, int k, boolean ta, boolean tb) {
    Case cs = Case.random(m * 1_000_003L + n * 1009L + k, 1, false, false, m, n, k, ta, tb);
    for (float[] ab : new float[][] {{1f, 0f}, {0.75f, 1f}, {-1.5f, 0.25f}}) {
      cs.check(cs.run(BE, ab[0], ab[1]), ab[0], ab[1]);
    }
  }

  @ParameterizedTest(name = "batch {0} sharedA={1} sharedB={2} {3}x{4}x{5} transA={6} transB={7}")
  @CsvSource({
    "3, false, false, 29, 45, 70, false, true",
    "3, false, true, 29, 45, 70, false, false",
    "2, true, false, 40, 33, 300, true, false",
    "4, false, false, 5, 70, 19, true, true",
    "2, false, true, 2, 9, 11, false, true",
    "3, false, false, 3, 5, 7, true, false",
  })
  void batchedProductsUseTheirOwnOrSharedOperands(
      int batch, boolean sharedA, boolean sharedB, int m, int n, int k, boolean ta, boolean tb) {
    Case cs = Case.random(batch * 31L + m + n + k, batch, sharedA, sharedB, m, n, k, ta, tb);
    cs.check(cs.run(BE, 1f, 0f), 1f, 0f);
    cs.check(cs.run(BE, 0.5f, -2f), 0.5f, -2f);
  }

  @Test
  void betaZeroIgnoresGarbageInCEvenAcrossDepthBlocks() {
    Case cs = Case.random(3, 1, false, false, 37, 70, 700, false, true);
    Arrays.fill(cs.c, Float.NaN);
    float[] out = cs.run(BE, 2f, 0f);
    cs.check(out, 2f, 0f);
  }

  @Test
  void anEmptyDepthScalesC() {
    Case cs = Case.random(4, 1, false, false, 20, 9, 0, false, false);
    float[] out = cs.run(BE, 1f, 0.5f);
    for (int i = 0; i < out.length; i++) {
      assertEquals(0.5f * cs.c[i], out[i]);
    }
    Arrays.fill(cs.c, Float.NaN);
    assertArrayEquals(new float[20 * 9], cs.run(BE, 1f, 0f));
  }

  @ParameterizedTest(name = "n={0}")
  @CsvSource({"40", "8"})
  void aNaNInAnOperandReachesOnlyItsRowOfC(int n) {
    Case cs = Case.random(5, 1, false, false, 70, n, 50, false, true);
    cs.a[7 * 50 + 3] = Float.NaN;
    float[] out = cs.run(BE, 1f, 0f);
    for (int i = 0; i < 70; i++) {
      for (int j = 0; j < n; j++) {
        assertEquals(i == 7, Float.isNaN(out[i * n + j]), "c[" + i + ", " + j + "]");
      }
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
  @CsvSource({
    "517, 300, 1030, false, true",
    "250, 4200, 40, false, false",
    "64, 1000, 600, true, false",
    "600, 70, 300, true, true",
    "700, 8, 600, true, false",
    "40, 4200, 2100, true, false",
  })
  void resultsAreBitIdenticalForAnyThreadCount(int m, int n, int k, boolean ta, boolean tb) {
    Case cs = Case.random(11, 1, false, false, m, n, k, ta, tb);
    float[] reference;
    try (CpuBackend one = new CpuBackend(1)) {
      reference = cs.run(one, 0.5f, 1f);
    }
    for (int threads : new int[] {2, 3, 5}) {
      try (CpuBackend backend = new CpuBackend(threads)) {
        assertArrayEquals(reference, cs.run(backend, 0.5f, 1f), threads + " threads");
        assertArrayEquals(reference, cs.run(backend, 0.5f, 1f), threads + " threads, second call");
      }
    }
  }

  @ParameterizedTest(name = "transA={0} transB={1}")
  @CsvSource({"false, false", "false, true", "true, false", "true, true"})
  void aRowComesOutTheSameAloneOrInATallProduct(boolean ta, boolean tb) {
    // 300 rows are packed into tiles; 1 to 3 rows stream. Both must give each element the same
    // bits, which is
    // what lets a cached decoding step reproduce the full pass exactly.
    int m = 300;
    int n = 45;
    int k = 600;
    Case tall = Case.random(21, 1, false, false, m, n, k, ta, tb);
    float[] all = tall.run(BE, 0.5f, 1f);
    tall.check(all, 0.5f, 1f);
    for (int rows = 1; rows < PackedGemm.THIN_ROWS; rows++) {
      int first = 150;
      float[] a = new float[rows * k];
      float[] c = new float[rows * n];
      for (int r = 0; r < rows; r++) {
        for (int p = 0; p < k; p++) {
          a[ta ? p * rows + r : r * k + p] = tall.a[ta ? p * m + first + r : (first + r) * k + p];
        }
        System.arraycopy(tall.c, (first + r) * n, c, r * n, n);
      }
      Case thin = new Case(1, false, false, rows, n, k, ta, tb, a, tall.b, c);
      float[] out = thin.run(BE, 0.5f, 1f);
      thin.check(out, 0.5f, 1f);
      assertArrayEquals(
          Arrays.copyOfRange(all, first * n, (first + rows) * n), out, rows + " rows");
    }
  }

  /**
   * The six LoRA products of a projection {@code in -> out} at rank {@code r} over {@code t}
   * tokens, as the decoder issues them: {@code x A^T}, {@code xa B^T} (added), {@code dY B}, {@code
   * dY^T xa} and {@code dXa^T x} (both accumulated), {@code dXa A} (added). Token counts are no
   * multiple of any vector width, and the gradients' depth {@code t} spans two {@link
   * PackedGemm#KC} blocks.
   */
  @ParameterizedTest(name = "r={0} tokens={1} in={2} out={3}")
  @CsvSource({
    "1, 37, 70, 45",
    "7, 37, 70, 45",
    "8, 533, 70, 45",
    "16, 533, 45, 70",
    "33, 37, 45, 70",
    "64, 533, 70, 45",
    "8, 533, 256, 768",
    "24, 261, 256, 256",
  })
  void loraProductsMatchTheDoubleProductAndThePackedPathForAnyThreadCount(
      int r, int t, int in, int out) {
    int[][] products = {
      {t, r, in, 0, 1, 0}, {t, out, r, 0, 1, 1}, {t, r, out, 0, 0, 0},
      {out, r, t, 1, 0, 1}, {r, in, t, 1, 0, 1}, {t, in, r, 0, 0, 1},
    };
    for (int[] pr : products) {
      int m = pr[0];
      int n = pr[1];
      int k = pr[2];
      boolean ta = pr[3] == 1;
      boolean tb = pr[4] == 1;
      float beta = pr[5];
      Case cs = Case.random(m * 31L + n * 7L + k, 1, false, false, m, n, k, ta, tb);
      float[] reference;
      try (CpuBackend one = new CpuBackend(1)) {
        reference = cs.run(one, 0.5f, beta);
      }
      cs.check(reference, 0.5f, beta);
      for (int threads : new int[] {2, 3}) {
        try (CpuBackend backend = new CpuBackend(threads)) {
          assertArrayEquals(reference, cs.run(backend, 0.5f, beta), threads + " threads, " + cs);
        }
      }
      float[] packed = cs.c.clone();
      try (Parallel par = new Parallel(2)) {
        new PackedGemm(par)
            .multiply(
                ta ? new PackedGemm.View(cs.a, 0, 1, m) : new PackedGemm.View(cs.a, 0, k, 1),
                tb ? new PackedGemm.View(cs.b, 0, 1, k) : new PackedGemm.View(cs.b, 0, n, 1),
                packed,
                0,
                m,
                n,
                k,
                0.5f,
                beta);
      }
      assertArrayEquals(packed, reference, "the packed path, " + cs);
    }
  }

  /**
   * A depth is cut into as few blocks as {@link PackedGemm#KC} allows, all of one depth but a
   * shorter last one, shorter by less than the number of blocks; 1024 stays two blocks of 512.
   */
  @Test
  void aDepthIsCutIntoEqualBlocksOfAtMostKc() {
    for (int k = 1; k <= 40_000; k++) {
      int kb = PackedGemm.depthBlock(k);
      int blocks = Math.ceilDiv(k, kb);
      assertTrue(kb <= PackedGemm.KC, "depth " + k + ": blocks of " + kb);
      assertEquals(Math.ceilDiv(k, PackedGemm.KC), blocks, "depth " + k + ": blocks");
      int last = k - (blocks - 1) * kb;
      assertTrue(
          last > 0 && kb - last < blocks, "depth " + k + ": last block " + last + " of " + kb);
    }
    assertEquals(512, PackedGemm.depthBlock(1024));
  }
}
