package dev.lorakit.core.backend;

import static dev.lorakit.core.backend.GradCheck.check;
import static dev.lorakit.core.backend.GradCheck.project;
import static dev.lorakit.core.backend.GradCheck.random;
import static dev.lorakit.core.backend.GradCheck.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CpuBackendTest {

  private static final CpuBackend BE = new CpuBackend(3);

  @AfterAll
  static void close() {
    BE.close();
  }

  private static Tensor t(float[] data, int... dims) {
    return BE.upload(data, DType.F32, Shape.of(dims));
  }

  private static float[] get(Tensor t) {
    return BE.download(t);
  }

  // ---- matmul
  // ------------------------------------------------------------------------------------------

  /** A naive double matmul of stored [rows, cols] matrices, transposes applied by index. */
  private static double[] naiveMatmul(
      float[] a,
      boolean ta,
      float[] b,
      boolean tb,
      float[] c,
      int batch,
      boolean aShared,
      boolean bShared,
      int m,
      int n,
      int k,
      double alpha,
      double beta) {
    double[] out = new double[batch * m * n];
    for (int p = 0; p < batch; p++) {
      int ao = aShared ? 0 : p * m * k;
      int bo = bShared ? 0 : p * k * n;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int kk = 0; kk < k; kk++) {
            double av = ta ? a[ao + kk * m + i] : a[ao + i * k + kk];
            double bv = tb ? b[bo + j * k + kk] : b[bo + kk * n + j];
            s += av * bv;
          }
          int ci = p * m * n + i * n + j;
          out[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "transA={0} transB={1} batch={2} sharedB={3} m={4} n={5} k={6}")
  @CsvSource({
    "false, true, 1, false, 7, 9, 13",
    "false, false, 1, false, 5, 70, 33",
    "true, false, 1, false, 17, 6, 11",
    "true, true, 1, false, 3, 8, 21",
    "false, true, 3, false, 4, 5, 40",
    "false, true, 3, true, 4, 67, 19",
    "true, false, 2, false, 6, 3, 9",
    "false, false, 2, true, 1, 130, 7",
  })
  void matmulMatchesNaiveDoubleProduct(
      boolean ta, boolean tb, int batch, boolean sharedB, int m, int n, int k) {
    Random rnd = new Random(m * 31L + n * 7L + k);
    float[] a = random(rnd, batch * m * k, 1);
    float[] b = random(rnd, (sharedB ? 1 : batch) * k * n, 1);
    float[] c = random(rnd, batch * m * n, 1);
    int[] aDims =
        batch == 1
            ? (ta ? new int[] {k, m} : new int[] {m, k})
            : (ta ? new int[] {batch, k, m} : new int[] {batch, m, k});
    int[] bRow = tb ? new int[] {n, k} : new int[] {k, n};
    int[] bDims = sharedB || batch == 1 ? bRow : new int[] {batch, bRow[0], bRow[1]};
    int[] cDims = batch == 1 ? new int[] {m, n} : new int[] {batch, m, n};
    for (float[] ab : new float[][] {{1f, 0f}, {0.5f, -2f}}) {
      Tensor tc = t(c, cDims);
      BE.matmul(t(a, aDims), ta, t(b, bDims), tb, tc, ab[0], ab[1]);
      double[] expected =
          naiveMatmul(a, ta, b, tb, c, batch, false, sharedB || batch == 1, m, n, k, ab[0], ab[1]);
      double err = relL2(get(tc), expected);
      assertTrue(err < 1e-6, "matmul relative L2 error " + err);
    }
  }

  @Test
  void matmulRejectsMismatchedShapes() {
    Tensor a = BE.zeros(DType.F32, Shape.of(3, 4));
    Tensor b = BE.zeros(DType.F32, Shape.of(5, 3));
    Tensor c = BE.zeros(DType.F32, Shape.of(3, 5));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BE.matmul(a, false, b, true, c, 1, 0));
    assertTrue(e.getMessage().contains("[5, 3]"), e.getMessage());
  }

  @Test
  void matmulIgnoresOldOutputWhenBetaIsZero() {
    Tensor c = t(new float[] {Float.NaN, Float.NaN}, 1, 2);
    BE.matmul(
        t(new float[] {1, 2}, 1, 2), false, t(new float[] {1, 0, 0, 1}, 2, 2), false, c, 1, 0);
    assertArrayEquals(new float[] {1, 2}, get(c));
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    Random rnd = new Random(5);
    float[] a = random(rnd, 37 * 70, 1);
    float[] b = random(rnd, 45 * 70, 1);
    float[] q = random(rnd, 2 * 9 * 4 * 8, 1);
    float[] kv = random(rnd, 2 * 9 * 2 * 8, 1);
    float[] logits = random(rnd, 6 * 32000, 4);
    int[] targets = {5, Backend.IGNORE_INDEX, 31999, 0, 17, 123};
    float[][] results = new float[2][];
    float[][] attn = new float[2][];
    float[][] dLogits = new float[2][];
    double[] losses = new double[2];
    int i = 0;
    for (int threads : new int[] {1, 4}) {
      try (CpuBackend backend = new CpuBackend(threads)) {
        Tensor dz = backend.zeros(DType.F32, Shape.of(6, 32000));
        losses[i] =
            backend.crossEntropy(
                backend.upload(logits, DType.F32, Shape.of(6, 32000)), targets, dz, 0.5f);
        dLogits[i] = backend.download(dz);
        Tensor c = backend.zeros(DType.F32, Shape.of(37, 45));
        backend.matmul(
            backend.upload(a, DType.F32, Shape.of(37, 70)),
            false,
            backend.upload(b, DType.F32, Shape.of(45, 70)),
            true,
            c,
            1,
            0);
        results[i] = backend.download(c);
        Tensor out = backend.zeros(DType.F32, Shape.of(18, 32));
        Tensor kt = backend.upload(kv, DType.F32, Shape.of(18, 16));
        backend.attention(
            backend.upload(q, DType.F32, Shape.of(18, 32)), kt, kt, out, null, 2, 4, 2, 0, 9, 0);
        attn[i++] = backend.download(out);
      }
    }
    assertArrayEquals(results[0], results[1]);
    assertArrayEquals(attn[0], attn[1]);
    assertEquals(losses[0], losses[1]);
    assertArrayEquals(dLogits[0], dLogits[1]);
  }

  // ---- attention
  // ---------------------------------------------------------------------------------------

  /**
   * Naive double attention over [batch*n, heads*d] queries and [batch*cap, kvHeads*d] keys/values.
   */
  private static double[] naiveAttention(
      float[] q,
      float[] k,
      float[] v,
      int batch,
      int n,
      int cap,
      int heads,
      int kvHeads,
      int d,
      int position,
      int kvLength,
      int window) {
    double[] out = new double[q.length];
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        int g = h / (heads / kvHeads);
        for (int t = 0; t < n; t++) {
          int pos = position + t;
          double[] w = new double[kvLength];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < kvLength; j++) {
            boolean visible = j <= pos && (window <= 0 || pos - window < j);
            if (!visible) {
              w[j] = Double.NEGATIVE_INFINITY;
              continue;
            }
            double s = 0;
            for (int i = 0; i < d; i++) {
              s +=
                  (double) q[(b * n + t) * heads * d + h * d + i]
                      * k[(b * cap + j) * kvHeads * d + g * d + i];
            }
            w[j] = s / Math.sqrt(d);
            max = Math.max(max, w[j]);
          }
          double sum = 0;
          for (int j = 0; j < kvLength; j++) {
            w[j] = Math.exp(w[j] - max);
            sum += w[j];
          }
          for (int j = 0; j < kvLength; j++) {
            for (int i = 0; i < d; i++) {
              out[(b * n + t) * heads * d + h * d + i] +=
                  w[j] / sum * v[(b * cap + j) * kvHeads * d + g * d + i];
            }
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "heads {0}/{1} window {2} position {3}")
  @CsvSource({"4, 4, 0, 0", "4, 2, 0, 0", "6, 2, 3, 0", "4, 1, 0, 5", "4, 2, 4, 3"})
  void attentionMatchesNaiveDouble(int heads, int kvHeads, int window, int position) {
    Random rnd = new Random(heads * 100 + kvHeads * 10 + window + position);
    int batch = 2;
    int n = 7;
    int d = 8;
    int cap = position + n + 2;
    int kvLength = position + n;
    float[] q = random(rnd, batch * n * heads * d, 1);
    float[] k = random(rnd, batch * cap * kvHeads * d, 1);
    float[] v = random(rnd, batch * cap * kvHeads * d, 1);
    Tensor out = BE.zeros(DType.F32, Shape.of(batch * n, heads * d));
    BE.attention(
        t(q, batch * n, heads * d),
        t(k, batch * cap, kvHeads * d),
        t(v, batch * cap, kvHeads * d),
        out,
        null,
        batch,
        heads,
        kvHeads,
        position,
        kvLength,
        window);
    double err =
        relL2(
            get(out),
            naiveAttention(q, k, v, batch, n, cap, heads, kvHeads, d, position, kvLength, window));
    assertTrue(err < 1e-6, "attention relative L2 error " + err);
  }

  /**
   * GQA ratios 1, 2 and 4; no window, a window shorter and one longer than the sequence; head sizes
   * below, across and above the vector width.
   */
  @ParameterizedTest(name = "heads {0}/{1} window {2} head dim {3}")
  @CsvSource({
    "2, 2, 0, 4",
    "4, 2, 0, 4",
    "4, 1, 3, 4",
    "2, 2, 2, 19",
    "4, 2, 9, 17",
    "4, 1, 0, 33"
  })
  void attentionBackwardMatchesFiniteDifferences(int heads, int kvHeads, int window, int d) {
    Random rnd = new Random(17 + heads + window + d);
    int batch = 2;
    int n = 5;
    float[] q = random(rnd, batch * n * heads * d, 1);
    float[] k = random(rnd, batch * n * kvHeads * d, 1);
    float[] v = random(rnd, batch * n * kvHeads * d, 1);
    float[] r = random(rnd, q.length, 1);
    int qr = batch * n;
    int qc = heads * d;
    int kc = kvHeads * d;
    Tensor tq = t(q, qr, qc);
    Tensor tk = t(k, qr, kc);
    Tensor tv = t(v, qr, kc);
    Tensor out = BE.zeros(DType.F32, Shape.of(qr, qc));
    Tensor lse = BE.zeros(DType.F32, Shape.of(batch, heads, n));
    BE.attention(tq, tk, tv, out, lse, batch, heads, kvHeads, 0, n, window);
    Tensor dq = BE.zeros(DType.F32, Shape.of(qr, qc));
    Tensor dk = BE.zeros(DType.F32, Shape.of(qr, kc));
    Tensor dv = BE.zeros(DType.F32, Shape.of(qr, kc));
    BE.attentionBackward(
        t(r, qr, qc), tq, tk, tv, out, lse, dq, dk, dv, batch, heads, kvHeads, window);
    Function<float[][], Double> f =
        in -> {
          Tensor o = BE.zeros(DType.F32, Shape.of(qr, qc));
          BE.attention(
              t(in[0], qr, qc),
              t(in[1], qr, kc),
              t(in[2], qr, kc),
              o,
              null,
              batch,
              heads,
              kvHeads,
              0,
              n,
              window);
          return project(get(o), r);
        };
    check("dq", q, get(dq), x -> f.apply(new float[][] {x, k, v}), 1e-3);
    check("dk", k, get(dk), x -> f.apply(new float[][] {q, x, v}), 1e-3);
    check("dv", v, get(dv), x -> f.apply(new float[][] {q, k, x}), 1e-3);
  }

  // ---- normalisation, rope, activation, embedding
  // -----------------------------------------------------

  @ParameterizedTest(name = "hidden {0}")
  @ValueSource(ints = {12, 37})
  void rmsNormForwardAndBackward(int h) {
    Random rnd = new Random(3 + h);
    int rows = 4;
    float[] x = random(rnd, rows * h, 2);
    float[] w = random(rnd, h, 1);
    float[] r = random(rnd, rows * h, 1);
    Tensor out = BE.zeros(DType.F32, Shape.of(rows, h));
    Tensor rstd = BE.zeros(DType.F32, Shape.of(rows));
    BE.rmsNorm(t(x, rows, h), t(w, h), 1e-5f, out, rstd);
    float[] o = get(out);
    for (int row = 0; row < rows; row++) {
      double ms = 0;
      for (int i = 0; i < h; i++) {
        ms += (double) x[row * h + i] * x[row * h + i] / h;
      }
      for (int i = 0; i < h; i++) {
        assertEquals(w[i] * x[row * h + i] / Math.sqrt(ms + 1e-5), o[row * h + i], 1e-6);
      }
    }
    Tensor dx = BE.zeros(DType.F32, Shape.of(rows, h));
    Tensor dw = BE.zeros(DType.F32, Shape.of(h));
    BE.rmsNormBackward(t(r, rows, h), t(x, rows, h), t(w, h), rstd, dx, dw);
    check(
        "rmsNorm dx",
        x,
        get(dx),
        xs -> {
          Tensor oo = BE.zeros(DType.F32, Shape.of(rows, h));
          BE.rmsNorm(t(xs, rows, h), t(w, h), 1e-5f, oo, null);
          return project(get(oo), r);
        },
        1e-3);
    check(
        "rmsNorm dWeight",
        w,
        get(dw),
        ws -> {
          Tensor oo = BE.zeros(DType.F32, Shape.of(rows, h));
          BE.rmsNorm(t(x, rows, h), t(ws, h), 1e-5f, oo, null);
          return project(get(oo), r);
        },
        1e-3);
  }

  @Test
  void ropeRotatesHalvesAndInverseIsTheBackward() {
    int heads = 2;
    int d = 8;
    int n = 3;
    int batch = 2;
    int maxPos = 10;
    float[] cos = new float[maxPos * d / 2];
    float[] sin = new float[maxPos * d / 2];
    for (int p = 0; p < maxPos; p++) {
      for (int i = 0; i < d / 2; i++) {
        double angle = p / Math.pow(10000, 2.0 * i / d);
        cos[p * d / 2 + i] = (float) Math.cos(angle);
        sin[p * d / 2 + i] = (float) Math.sin(angle);
      }
    }
    Tensor tc = t(cos, maxPos, d / 2);
    Tensor ts = t(sin, maxPos, d / 2);
    Random rnd = new Random(9);
    float[] x = random(rnd, batch * n * heads * d, 1);
    Tensor tx = t(x, batch * n, heads * d);
    int position = 4;
    BE.rope(tx, batch, heads, tc, ts, position, false);
    float[] y = get(tx);
    // Hugging Face: x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1).
    for (int row = 0; row < batch * n; row++) {
      int p = position + row % n;
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < d; i++) {
          int j = i % (d / 2);
          double c = cos[p * d / 2 + j];
          double s = sin[p * d / 2 + j];
          int o = row * heads * d + h * d;
          double rot = i < d / 2 ? -x[o + i + d / 2] : x[o + i - d / 2];
          assertEquals(x[o + i] * c + rot * s, y[o + i], 1e-6);
        }
      }
    }
    // The backward of a linear map is its transpose: <rope(x), r> == <x, ropeBackward(r)>.
    float[] r = random(rnd, x.length, 1);
    Tensor tr = t(r, batch * n, heads * d);
    BE.rope(tr, batch, heads, tc, ts, position, true);
    assertEquals(project(y, r), project(x, get(tr)), 1e-5);
    BE.rope(tx, batch, heads, tc, ts, position, true);
    assertTrue(relL2(get(tx), x) < 1e-6);
  }

  @Test
  void swigluForwardAndBackward() {
    Random rnd = new Random(4);
    float[] g = random(rnd, 30, 2);
    float[] u = random(rnd, 30, 1);
    float[] r = random(rnd, 30, 1);
    Tensor out = BE.zeros(DType.F32, Shape.of(30));
    BE.swiglu(t(g, 30), t(u, 30), out);
    float[] o = get(out);
    for (int i = 0; i < 30; i++) {
      assertEquals(g[i] / (1 + Math.exp(-g[i])) * u[i], o[i], 1e-6);
    }
    Tensor dg = BE.zeros(DType.F32, Shape.of(30));
    Tensor du = BE.zeros(DType.F32, Shape.of(30));
    BE.swigluBackward(t(r, 30), t(g, 30), t(u, 30), dg, du);
    BiFunction<float[], float[], Double> f =
        (gg, uu) -> {
          Tensor oo = BE.zeros(DType.F32, Shape.of(30));
          BE.swiglu(t(gg, 30), t(uu, 30), oo);
          return project(get(oo), r);
        };
    check("swiglu dGate", g, get(dg), x -> f.apply(x, u), 1e-3);
    check("swiglu dUp", u, get(du), x -> f.apply(g, x), 1e-3);
  }

  @Test
  void embeddingGathersRowsAndScatterAddsGradients() {
    float[] table = {0, 1, 10, 11, 20, 21};
    int[] ids = {2, 0, 2};
    Tensor out = BE.zeros(DType.F32, Shape.of(3, 2));
    BE.embedding(t(table, 3, 2), ids, out);
    assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, get(out));
    Tensor dTable = BE.zeros(DType.F32, Shape.of(3, 2));
    BE.embeddingBackward(t(new float[] {1, 2, 3, 4, 5, 6}, 3, 2), ids, dTable);
    assertArrayEquals(new float[] {3, 4, 0, 0, 6, 8}, get(dTable));
    assertThrows(
        IllegalArgumentException.class,
        () -> BE.embedding(t(table, 3, 2), new int[] {3}, BE.zeros(DType.F32, Shape.of(1, 2))));
  }

  @Test
  void embeddingReadsBf16Tables() {
    Tensor table = BE.upload(new float[] {1.5f, -2f, 3.25f, 0.1f}, DType.BF16, Shape.of(2, 2));
    Tensor out = BE.zeros(DType.F32, Shape.of(1, 2));
    BE.embedding(table, new int[] {1}, out);
    assertArrayEquals(
        new float[] {3.25f, HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(0.1f))}, get(out));
  }

  // ---- loss, dropout, AdamW, casts, reductions
  // ---------------------------------------------------------

  /**
   * The loss within 1e-6 relative of double arithmetic: each exponential is within 2 ulps
   * (VectorKernels.exp) and the row sums are float lane sums over 64 vectors at most, so log(sum)
   * is off by a few 1e-7.
   */
  @ParameterizedTest(name = "vocab {0}")
  @ValueSource(ints = {11, 35})
  void crossEntropyMatchesDoubleAndItsGradientMatchesFiniteDifferences(int vocab) {
    Random rnd = new Random(8 + vocab);
    int rows = 5;
    float[] z = random(rnd, rows * vocab, 3);
    int[] targets = {3, Backend.IGNORE_INDEX, 10, 0, 3};
    Tensor dz = BE.zeros(DType.F32, Shape.of(rows, vocab));
    double loss = BE.crossEntropy(t(z, rows, vocab), targets, dz, 0.25f);
    double expected = 0;
    for (int row = 0; row < rows; row++) {
      if (targets[row] < 0) {
        continue;
      }
      double s = 0;
      for (int i = 0; i < vocab; i++) {
        s += Math.exp(z[row * vocab + i]);
      }
      expected += Math.log(s) - z[row * vocab + targets[row]];
    }
    assertEquals(expected, loss, 1e-6 * Math.abs(expected));
    check(
        "crossEntropy dLogits",
        z,
        get(dz),
        zs -> 0.25 * BE.crossEntropy(t(zs, rows, vocab), targets, null, 1f),
        1e-3);
    float[] d = get(dz);
    for (int i = 0; i < vocab; i++) {
      assertEquals(0f, d[vocab + i], "ignored rows get no gradient");
    }
  }

  @Test
  void crossEntropyOverALargeVocabularyMatchesDoubleElementByElement() {
    // 32000 entries: many sum blocks, logits spread so that the softmax spans many orders of
    // magnitude; the
    // gradient may alias the logits.
    int vocab = 32000;
    Random rnd = new Random(17);
    float[] z = random(rnd, 2 * vocab, 6);
    int[] targets = {12345, 7};
    Tensor logits = t(z.clone(), 2, vocab);
    double loss = BE.crossEntropy(logits, targets, logits, 0.5f);
    float[] d = get(logits);
    double expected = 0;
    for (int row = 0; row < 2; row++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < vocab; i++) {
        max = Math.max(max, z[row * vocab + i]);
      }
      double s = 0;
      for (int i = 0; i < vocab; i++) {
        s += Math.exp(z[row * vocab + i] - max);
      }
      double logSum = max + Math.log(s);
      expected += logSum - z[row * vocab + targets[row]];
      for (int i = 0; i < vocab; i++) {
        double g = 0.5 * (Math.exp(z[row * vocab + i] - logSum) - (i == targets[row] ? 1 : 0));
        assertEquals(
            g, d[row * vocab + i], 1e-6 * Math.abs(g) + 1e-12, "dLogits[" + row + ", " + i + "]");
      }
    }
    assertEquals(expected, loss, 1e-6 * Math.abs(expected));
  }

  @Test
  void dropoutIsSeededScaledAndItsOwnBackward() {
    int n = 10_000;
    float[] ones = new float[n];
    Arrays.fill(ones, 1f);
    Tensor out = BE.zeros(DType.F32, Shape.of(n));
    BE.dropout(t(ones, n), out, 0.25f, 42);
    float[] o = get(out);
    int kept = 0;
    for (float f : o) {
      assertTrue(f == 0f || f == 1f / 0.75f);
      kept += f != 0 ? 1 : 0;
    }
    assertEquals(0.75, kept / (double) n, 0.02);
    Tensor again = BE.zeros(DType.F32, Shape.of(n));
    BE.dropout(t(ones, n), again, 0.25f, 42);
    assertArrayEquals(o, get(again));
    BE.dropout(t(ones, n), again, 0.25f, 43);
    assertFalse(Arrays.equals(o, get(again)));
  }

  @Test
  void adamWFollowsTorchFormulaOverSteps() {
    float[] p = {0.5f, -1f, 2f};
    float[] m = new float[3];
    float[] v = new float[3];
    double[] pd = {0.5, -1, 2};
    double[] md = new double[3];
    double[] vd = new double[3];
    Tensor tp = t(p, 3);
    Tensor tm = t(m, 3);
    Tensor tv = t(v, 3);
    double lr = 1e-2;
    double wd = 0.01;
    for (int step = 1; step <= 3; step++) {
      float[] g = {0.1f * step, -0.3f, 1e-4f};
      BE.adamW(tp, t(g, 3), tm, tv, lr, 0.9, 0.999, 1e-8, wd, step);
      for (int i = 0; i < 3; i++) {
        pd[i] *= 1 - lr * wd;
        md[i] = 0.9 * md[i] + 0.1 * g[i];
        vd[i] = 0.999 * vd[i] + 0.001 * g[i] * g[i];
        double mh = md[i] / (1 - Math.pow(0.9, step));
        double vh = vd[i] / (1 - Math.pow(0.999, step));
        pd[i] -= lr * mh / (Math.sqrt(vh) + 1e-8);
      }
    }
    float[] got = get(tp);
    for (int i = 0; i < 3; i++) {
      assertEquals(pd[i], got[i], 1e-6);
    }
  }

  @Test
  void copyConvertsBetweenDtypes() {
    float[] x = {1f, -0.3333333f, 65504f, 1e-3f};
    Tensor f = t(x, 4);
    Tensor bf = BE.zeros(DType.BF16, Shape.of(4));
    Tensor h = BE.zeros(DType.F16, Shape.of(4));
    BE.copy(f, bf);
    BE.copy(f, h);
    float[] b = get(bf);
    float[] hh = get(h);
    for (int i = 0; i < 4; i++) {
      assertEquals(x[i], b[i], Math.abs(x[i]) * 0x1p-8, "bf16 keeps 8 significant bits");
      assertEquals(x[i], hh[i], Math.abs(x[i]) * 0x1p-11, "f16 keeps 11 significant bits");
    }
    assertEquals(
        HalfPrecision.floatToBf16(1f + 0x1p-8f),
        HalfPrecision.floatToBf16(1f),
        "ties round to even");
    Tensor back = BE.zeros(DType.F32, Shape.of(4));
    BE.copy(bf, back);
    assertArrayEquals(b, get(back));
  }

  @Test
  void reductionsAndElementwise() {
    Tensor a = t(new float[] {1, -2, 3}, 3);
    Tensor b = t(new float[] {0.5f, 0.5f, 0.5f}, 3);
    Tensor out = BE.zeros(DType.F32, Shape.of(3));
    BE.add(a, b, out);
    assertArrayEquals(new float[] {1.5f, -1.5f, 3.5f}, get(out));
    BE.addScaled(a, 2f, out);
    assertArrayEquals(new float[] {3.5f, -5.5f, 9.5f}, get(out));
    BE.scale(out, 2f);
    assertArrayEquals(new float[] {7f, -11f, 19f}, get(out));
    assertEquals(14.0, BE.sumOfSquares(a));
    assertTrue(BE.allFinite(a));
    assertFalse(BE.allFinite(t(new float[] {1, Float.NaN}, 2)));
    Tensor cache = BE.zeros(DType.F32, Shape.of(2, 4, 1));
    BE.copyAt(t(new float[] {1, 2, 3, 4}, 2, 2, 1), cache, 2, 1);
    assertArrayEquals(new float[] {0, 1, 2, 0, 0, 3, 4, 0}, get(cache));
  }
}
