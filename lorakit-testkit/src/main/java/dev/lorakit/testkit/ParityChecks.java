package dev.lorakit.testkit;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Op-by-op comparisons of a backend under test with the CPU reference: each check builds its inputs
 * from its own seed (so both backends see the same numbers), runs one op, and returns everything
 * the op wrote. Shared by the GPU test suite and the CUDA smoke check of lorakit-devtools. Shapes
 * are deliberately not multiples of any tile size. A backend whose {@link Backend#activations bf16
 * activations} are BF16 gets BF16 inputs where the bf16 decoder gives them; the reference computes
 * in float32 on the same values rounded to bf16.
 */
public final class ParityChecks {

  /**
   * One comparison: {@code run} performs the op on a backend and returns its outputs; the error is
   * the largest absolute difference divided by {@code max(1, largest reference magnitude)}.
   */
  public record Check(String name, double tolerance, Function<Backend, float[]> run) {

    /** The scaled largest difference between {@code tested}'s outputs and {@code reference}'s. */
    public double error(Backend reference, Backend tested) {
      float[] expected = run.apply(reference);
      float[] actual = run.apply(tested);
      if (expected.length != actual.length) {
        return Double.POSITIVE_INFINITY;
      }
      double scale = 1;
      double worst = 0;
      for (int i = 0; i < expected.length; i++) {
        if (Float.isFinite(expected[i])) {
          scale = Math.max(scale, Math.abs(expected[i]));
        }
        boolean bothNaN = Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
        double d = bothNaN ? 0 : Math.abs((double) expected[i] - actual[i]);
        worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
      }
      return worst / scale;
    }
  }

  private ParityChecks() {}

  /** {@code n} N(0, scale^2) values drawn from {@code seed}. */
  public static float[] randoms(long seed, int n, double scale) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * scale);
    }
    return a;
  }

  static Tensor rand(Backend backend, long seed, double scale, int... dims) {
    return backend.upload(
        randoms(seed, (int) Shape.of(dims).size(), scale), DType.F32, Shape.of(dims));
  }

  /** Concatenates outputs downloaded from {@code backend}, then closes them. */
  static float[] out(Backend backend, Tensor... ts) {
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (Tensor t : ts) {
      float[] f = backend.download(t);
      parts.add(f);
      n += f.length;
    }
    float[] all = new float[n];
    int at = 0;
    for (float[] f : parts) {
      System.arraycopy(f, 0, all, at, f.length);
      at += f.length;
    }
    return all;
  }

  static float[] values(double... v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  /** {@code a} rounded to bfloat16 (round to nearest even) and widened back. */
  public static float[] roundedToBf16(float[] a) {
    float[] r = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(a[i]));
    }
    return r;
  }

  /** {@code n} token ids below {@code vocab} drawn from {@code seed}. */
  public static int[] ids(long seed, int n, int vocab) {
    Random r = new Random(seed);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = r.nextInt(vocab);
    }
    return ids;
  }

  /** Every check, in the order of the Backend interface. */
  public static List<Check> all() {
    List<Check> c = new ArrayList<>();
    memory(c);
    elementwise(c);
    matmuls(c);
    decoderOps(c);
    attention(c);
    flashAttention(c);
    return c;
  }

  private static void memory(List<Check> c) {
    for (DType t : DType.values()) {
      c.add(
          new Check(
              "upload/download " + t,
              0,
              backend ->
                  backend.download(backend.upload(randoms(1, 1001, 3), t, Shape.of(7, 11, 13)))));
    }
    for (DType from : DType.values()) {
      for (DType to : DType.values()) {
        c.add(
            new Check(
                "copy " + from + " -> " + to,
                0,
                backend -> {
                  Tensor s = backend.upload(randoms(2, 777, 5), from, Shape.of(777));
                  Tensor d = backend.zeros(to, Shape.of(3, 259));
                  backend.copy(s, d);
                  return backend.download(d);
                }));
      }
    }
    c.add(
        new Check(
            "zeros + fill",
            0,
            backend -> {
              Tensor z = backend.zeros(DType.F32, Shape.of(5, 3));
              Tensor f = backend.zeros(DType.BF16, Shape.of(9));
              backend.fill(f, -1.7f);
              return out(backend, z, f);
            }));
    c.add(
        new Check(
            "copyAt",
            0,
            backend -> {
              Tensor src = rand(backend, 3, 1, 2 * 3, 5);
              Tensor dst = rand(backend, 4, 1, 2 * 8, 5);
              backend.copyAt(src, dst, 2, 4);
              return backend.download(dst);
            }));
    for (DType t : List.of(DType.F32, DType.BF16)) {
      c.add(
          new Check(
              "copyColumns " + t + " (a column block; a contiguous range)",
              0,
              backend -> {
                Tensor src = backend.upload(randoms(40, 37 * 11, 1), t, Shape.of(37, 11));
                Tensor dst = backend.upload(randoms(41, 37 * 13, 1), t, Shape.of(37, 13));
                backend.copyColumns(src, 3, dst, 5, 37, 7);
                Tensor flat = backend.upload(randoms(42, 3 * 29, 1), t, Shape.of(3, 29));
                backend.copyColumns(src, 0, flat, 17, 1, 2 * 11);
                return out(backend, dst, flat);
              }));
    }
  }

  private static void elementwise(List<Check> c) {
    c.add(
        new Check(
            "add (in place)",
            0,
            backend -> {
              Tensor a = rand(backend, 5, 1, 1234);
              Tensor b = rand(backend, 6, 1, 1234);
              backend.add(a, b, a);
              return backend.download(a);
            }));
    c.add(
        new Check(
            "addScaled",
            0,
            backend -> {
              Tensor y = rand(backend, 7, 1, 3, 333);
              backend.addScaled(rand(backend, 8, 1, 999), -0.37f, y);
              return backend.download(y);
            }));
    c.add(
        new Check(
            "scale (and by 0 over NaN)",
            0,
            backend -> {
              Tensor x = rand(backend, 9, 1, 555);
              backend.scale(x, 1.9f);
              Tensor nan = backend.upload(values(Double.NaN, 1, 2), DType.F32, Shape.of(3));
              backend.scale(nan, 0f);
              return out(backend, x, nan);
            }));
    c.add(
        new Check(
            "sumOfSquares",
            1e-7,
            backend -> values(backend.sumOfSquares(rand(backend, 10, 2, 100_003)))));
    c.add(
        new Check(
            "allFinite",
            0,
            backend -> {
              float[] v = randoms(11, 5000, 1);
              Tensor fine = backend.upload(v, DType.F32, Shape.of(5000));
              v[4321] = Float.POSITIVE_INFINITY;
              Tensor inf = backend.upload(v, DType.F32, Shape.of(5000));
              v[4321] = Float.NaN;
              Tensor nan = backend.upload(v, DType.F32, Shape.of(5000));
              return values(
                  backend.allFinite(fine) ? 1 : 0,
                  backend.allFinite(inf) ? 1 : 0,
                  backend.allFinite(nan) ? 1 : 0);
            }));
    for (float p : new float[] {0f, 0.3f}) {
      c.add(
          new Check(
              "dropout p=" + p,
              0,
              backend -> {
                Tensor x = rand(backend, 12, 1, 4097);
                Tensor o = backend.zeros(DType.F32, Shape.of(4097));
                backend.dropout(x, o, p, 0xC0FFEEL);
                backend.dropout(x, x, p, 0xC0FFEEL);
                return out(backend, o, x);
              }));
    }
  }

  private static void matmuls(List<Check> c) {
    int m = 37;
    int n = 53;
    int k = 29;
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        c.add(
            new Check(
                "matmul " + (ta ? "T" : "N") + (tb ? "T" : "N") + " 37x53x29 beta=0.5",
                2e-6,
                backend -> {
                  Tensor a = ta ? rand(backend, 13, 1, k, m) : rand(backend, 13, 1, m, k);
                  Tensor b = tb ? rand(backend, 14, 1, n, k) : rand(backend, 14, 1, k, n);
                  Tensor cc = rand(backend, 15, 1, m, n);
                  backend.matmul(a, ta, b, tb, cc, 0.75f, 0.5f);
                  return backend.download(cc);
                }));
      }
    }
    c.add(
        new Check(
            "matmul batched 3x(19x23x17), shared b^T",
            2e-6,
            backend -> {
              Tensor a = rand(backend, 16, 1, 3, 19, 17);
              Tensor b = rand(backend, 17, 1, 23, 17);
              Tensor cc =
                  backend.upload(values(new double[3 * 19 * 23]), DType.F32, Shape.of(3, 19, 23));
              backend.fill(cc, Float.NaN);
              backend.matmul(a, false, b, true, cc, 1f, 0f);
              return backend.download(cc);
            }));
    c.add(
        new Check(
            "matmul batched 4x(5x7x9), both batched, a^T",
            2e-6,
            backend -> {
              Tensor a = rand(backend, 18, 1, 4, 9, 5);
              Tensor b = rand(backend, 19, 1, 4, 9, 7);
              Tensor cc = backend.zeros(DType.F32, Shape.of(4, 5, 7));
              backend.matmul(a, true, b, false, cc, 1f, 0f);
              return backend.download(cc);
            }));
    // The 16-bit path: the reference multiplies the same bf16-rounded values in fp32.
    c.add(
        new Check(
            "matmul x[F32] W^T[BF16] (tensor cores)",
            1e-5,
            backend -> {
              float[] x = randoms(20, 67 * 130, 1);
              float[] w = randoms(21, 45 * 130, 0.1);
              boolean reference = backend.name().startsWith("cpu");
              Tensor a =
                  backend.upload(reference ? roundedToBf16(x) : x, DType.F32, Shape.of(67, 130));
              Tensor b =
                  backend.upload(
                      reference ? roundedToBf16(w) : w,
                      reference ? DType.F32 : DType.BF16,
                      Shape.of(45, 130));
              Tensor cc = backend.zeros(DType.F32, Shape.of(67, 45));
              backend.matmul(a, false, b, true, cc, 1f, 0f);
              return backend.download(cc);
            }));
  }

  private static void decoderOps(List<Check> c) {
    c.add(
        new Check(
            "embedding F32 + backward (repeated ids)",
            1e-6,
            backend -> {
              int[] ids = {3, 7, 3, 0, 12, 7, 7};
              Tensor table = rand(backend, 22, 1, 13, 19);
              Tensor o = backend.zeros(DType.F32, Shape.of(ids.length, 19));
              backend.embedding(table, ids, o);
              Tensor d = rand(backend, 23, 1, 13, 19);
              backend.embeddingBackward(rand(backend, 24, 1, ids.length, 19), ids, d);
              return out(backend, o, d);
            }));
    c.add(
        new Check(
            "embedding BF16 table",
            0,
            backend -> {
              Tensor table = backend.upload(randoms(25, 31 * 21, 1), DType.BF16, Shape.of(31, 21));
              Tensor o = backend.zeros(DType.F32, Shape.of(9, 21));
              int[] ids = ids(26, 9, 31);
              if (backend.name().startsWith("cpu")) {
                Tensor wide = backend.zeros(DType.F32, Shape.of(31, 21));
                backend.copy(table, wide);
                table = wide;
              }
              backend.embedding(table, ids, o);
              return backend.download(o);
            }));
    for (int h : new int[] {37, 1000}) {
      c.add(
          new Check(
              "rmsNorm + rstd h=" + h,
              2e-6,
              backend -> {
                Tensor x = rand(backend, 27, 2, 11, h);
                Tensor o = backend.zeros(DType.F32, Shape.of(11, h));
                Tensor r = backend.zeros(DType.F32, Shape.of(11));
                backend.rmsNorm(x, rand(backend, 28, 1, h), 1e-5f, o, r);
                return out(backend, o, r);
              }));
      c.add(
          new Check(
              "rmsNormBackward h=" + h,
              1e-5,
              backend -> {
                Tensor x = rand(backend, 29, 2, 11, h);
                Tensor w = rand(backend, 30, 1, h);
                Tensor o = backend.zeros(DType.F32, Shape.of(11, h));
                Tensor r = backend.zeros(DType.F32, Shape.of(11));
                backend.rmsNorm(x, w, 1e-5f, o, r);
                Tensor dx = rand(backend, 31, 1, 11, h);
                Tensor dw = rand(backend, 32, 1, h);
                backend.rmsNormBackward(rand(backend, 33, 1, 11, h), x, w, r, dx, dw);
                backend.rmsNormBackward(rand(backend, 34, 1, 11, h), x, w, r, dx, null);
                return out(backend, dx, dw);
              }));
    }
    c.add(
        new Check(
            "rope forward, position 3, then inverse",
            2e-6,
            backend -> {
              int heads = 3;
              int d = 10;
              Tensor cos = rand(backend, 35, 1, 20, d / 2);
              Tensor sin = rand(backend, 36, 1, 20, d / 2);
              Tensor x = rand(backend, 37, 1, 2 * 7, heads * d);
              backend.rope(x, 2, heads, cos, sin, 3, false);
              float[] fwd = backend.download(x);
              backend.rope(x, 2, heads, cos, sin, 3, true);
              float[] back = backend.download(x);
              float[] both = new float[fwd.length * 2];
              System.arraycopy(fwd, 0, both, 0, fwd.length);
              System.arraycopy(back, 0, both, fwd.length, back.length);
              return both;
            }));
    c.add(
        new Check(
            "swiglu + backward",
            2e-6,
            backend -> {
              Tensor g = rand(backend, 38, 3, 3001);
              Tensor u = rand(backend, 39, 1, 3001);
              Tensor o = backend.zeros(DType.F32, Shape.of(3001));
              backend.swiglu(g, u, o);
              Tensor dg = rand(backend, 40, 1, 3001);
              Tensor du = rand(backend, 41, 1, 3001);
              backend.swigluBackward(rand(backend, 42, 1, 3001), g, u, dg, du);
              return out(backend, o, dg, du);
            }));
    c.add(
        new Check(
            "crossEntropy (ignore -100, separate dLogits)",
            1e-6,
            backend -> {
              int vocab = 1001;
              int[] t = ids(43, 9, vocab);
              t[2] = Backend.IGNORE_INDEX;
              t[7] = Backend.IGNORE_INDEX;
              Tensor z = rand(backend, 44, 3, 9, vocab);
              Tensor dz = rand(backend, 45, 1, 9, vocab);
              double loss = backend.crossEntropy(z, t, dz, 0.25f);
              double lossOnly = backend.crossEntropy(z, t, null, 1f);
              float[] g = backend.download(dz);
              float[] all = new float[g.length + 2];
              System.arraycopy(g, 0, all, 2, g.length);
              all[0] = (float) loss;
              all[1] = (float) lossOnly;
              return all;
            }));
    c.add(
        new Check(
            "crossEntropy in place",
            1e-6,
            backend -> {
              Tensor z = rand(backend, 46, 3, 5, 37);
              double loss = backend.crossEntropy(z, new int[] {1, 36, -100, 0, 17}, z, 1f);
              float[] g = backend.download(z);
              float[] all = new float[g.length + 1];
              System.arraycopy(g, 0, all, 1, g.length);
              all[0] = (float) loss;
              return all;
            }));
    c.add(
        new Check(
            "adamW, two steps",
            0,
            backend -> {
              Tensor p = rand(backend, 47, 1, 1003);
              Tensor m = backend.zeros(DType.F32, Shape.of(1003));
              Tensor v = backend.zeros(DType.F32, Shape.of(1003));
              backend.adamW(p, rand(backend, 48, 1, 1003), m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1);
              backend.adamW(p, rand(backend, 49, 1, 1003), m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 2);
              return out(backend, p, m, v);
            }));
  }

  private static void attention(List<Check> c) {
    int batch = 2;
    int heads = 4;
    int d = 16;
    int n = 13;
    for (int kvHeads : new int[] {4, 2, 1}) {
      for (int window : new int[] {0, 3, 100}) {
        String shape = " heads 4/" + kvHeads + " window " + window;
        c.add(
            new Check(
                "attention" + shape,
                2e-6,
                backend -> {
                  Tensor q = rand(backend, 50, 1, batch * n, heads * d);
                  Tensor k = rand(backend, 51, 1, batch * n, kvHeads * d);
                  Tensor v = rand(backend, 52, 1, batch * n, kvHeads * d);
                  Tensor o = backend.zeros(DType.F32, Shape.of(batch * n, heads * d));
                  Tensor lse = backend.zeros(DType.F32, Shape.of(batch, heads, n));
                  backend.attention(q, k, v, o, lse, batch, heads, kvHeads, 0, n, window);
                  return out(backend, o, lse);
                }));
        c.add(
            new Check(
                "attentionBackward" + shape,
                1e-5,
                backend -> {
                  Tensor q = rand(backend, 53, 1, batch * n, heads * d);
                  Tensor k = rand(backend, 54, 1, batch * n, kvHeads * d);
                  Tensor v = rand(backend, 55, 1, batch * n, kvHeads * d);
                  Tensor o = backend.zeros(DType.F32, Shape.of(batch * n, heads * d));
                  Tensor lse = backend.zeros(DType.F32, Shape.of(batch, heads, n));
                  backend.attention(q, k, v, o, lse, batch, heads, kvHeads, 0, n, window);
                  Tensor dq = rand(backend, 56, 1, batch * n, heads * d);
                  Tensor dk = rand(backend, 57, 1, batch * n, kvHeads * d);
                  Tensor dv = rand(backend, 58, 1, batch * n, kvHeads * d);
                  backend.attentionBackward(
                      rand(backend, 59, 1, batch * n, heads * d),
                      q,
                      k,
                      v,
                      o,
                      lse,
                      dq,
                      dk,
                      dv,
                      batch,
                      heads,
                      kvHeads,
                      window);
                  return out(backend, dq, dk, dv);
                }));
      }
      c.add(
          new Check(
              "attention with KV cache (position 5, 3 new, capacity 11)" + " heads 4/" + kvHeads,
              2e-6,
              backend -> {
                Tensor q = rand(backend, 60, 1, batch * 3, heads * d);
                Tensor k = rand(backend, 61, 1, batch * 11, kvHeads * d);
                Tensor v = rand(backend, 62, 1, batch * 11, kvHeads * d);
                Tensor o = backend.zeros(DType.F32, Shape.of(batch * 3, heads * d));
                backend.attention(q, k, v, o, null, batch, heads, kvHeads, 5, 8, 4);
                return backend.download(o);
              }));
    }
  }

  /**
   * The fused kernels at the widths of real models (64, 128) and past a tile (n 70, 97), GQA,
   * windows inside and beyond the sequence, a cached forward past position 0, and the bf16 kernels
   * as the bf16 decoder calls them (bf16 q, k, v and out, f32 gradients; against the CPU on the
   * same bf16-rounded inputs; the output rounded to bf16, hence the looser tolerance).
   */
  private static void flashAttention(List<Check> c) {
    int[][] shapes = {
      {2, 70, 4, 4, 64, 0}, {1, 97, 4, 1, 128, 33}, {2, 70, 8, 2, 128, 0}, {1, 45, 2, 2, 80, 1000}
    };
    for (int[] s : shapes) {
      int batch = s[0];
      int n = s[1];
      int heads = s[2];
      int kvHeads = s[3];
      int d = s[4];
      int window = s[5];
      String name = " n " + n + " heads " + heads + "/" + kvHeads + " d " + d + " window " + window;
      c.add(
          new Check(
              "flash attention + backward" + name,
              1e-5,
              backend -> {
                Tensor q = rand(backend, 70, 1, batch * n, heads * d);
                Tensor k = rand(backend, 71, 1, batch * n, kvHeads * d);
                Tensor v = rand(backend, 72, 1, batch * n, kvHeads * d);
                Tensor o = backend.zeros(DType.F32, Shape.of(batch * n, heads * d));
                Tensor lse = backend.zeros(DType.F32, Shape.of(batch, heads, n));
                backend.attention(q, k, v, o, lse, batch, heads, kvHeads, 0, n, window);
                Tensor dq = rand(backend, 73, 1, batch * n, heads * d);
                Tensor dk = rand(backend, 74, 1, batch * n, kvHeads * d);
                Tensor dv = rand(backend, 75, 1, batch * n, kvHeads * d);
                backend.attentionBackward(
                    rand(backend, 76, 1, batch * n, heads * d),
                    q,
                    k,
                    v,
                    o,
                    lse,
                    dq,
                    dk,
                    dv,
                    batch,
                    heads,
                    kvHeads,
                    window);
                return out(backend, o, lse, dq, dk, dv);
              }));
    }
    c.add(
        new Check(
            "flash attention cached (position 40, 37 new, capacity 90) d 128",
            2e-6,
            backend -> {
              Tensor q = rand(backend, 77, 1, 2 * 37, 4 * 128);
              Tensor k = rand(backend, 78, 1, 2 * 90, 2 * 128);
              Tensor v = rand(backend, 79, 1, 2 * 90, 2 * 128);
              Tensor o = backend.zeros(DType.F32, Shape.of(2 * 37, 4 * 128));
              Tensor lse = backend.zeros(DType.F32, Shape.of(2, 4, 37));
              backend.attention(q, k, v, o, lse, 2, 4, 2, 40, 77, 50);
              return out(backend, o, lse);
            }));
    c.add(
        new Check(
            "flash attention bf16 + backward n 70 heads 4/2 d 128",
            2e-2,
            backend -> {
              int batch = 2;
              int n = 70;
              int heads = 4;
              int kvHeads = 2;
              int d = 128;
              float[][] in = {
                randoms(80, batch * n * heads * d, 1),
                randoms(81, batch * n * kvHeads * d, 1),
                randoms(82, batch * n * kvHeads * d, 1),
                randoms(83, batch * n * heads * d, 1)
              };
              int[] widths = {heads * d, kvHeads * d, kvHeads * d, heads * d};
              DType t = backend.activations(Precision.BF16);
              Tensor[] x = new Tensor[4];
              for (int i = 0; i < 3; i++) {
                x[i] = backend.upload(roundedToBf16(in[i]), t, Shape.of(batch * n, widths[i]));
              }
              x[3] =
                  backend.upload(
                      in[3],
                      DType.F32,
                      Shape.of(batch * n, widths[3])); // the gradient at the output
              Tensor o = backend.zeros(t, Shape.of(batch * n, heads * d));
              Tensor lse = backend.zeros(DType.F32, Shape.of(batch, heads, n));
              Tensor dq = backend.zeros(DType.F32, Shape.of(batch * n, heads * d));
              Tensor dk = backend.zeros(DType.F32, Shape.of(batch * n, kvHeads * d));
              Tensor dv = backend.zeros(DType.F32, Shape.of(batch * n, kvHeads * d));
              backend.attention(x[0], x[1], x[2], o, lse, batch, heads, kvHeads, 0, n, 0);
              if (t != DType.BF16) {
                // A bf16 backend's backward reads its bf16-rounded output; so does the float32
                // reference.
                o = backend.upload(roundedToBf16(backend.download(o)), DType.F32, o.shape());
              }
              backend.attentionBackward(
                  x[3], x[0], x[1], x[2], o, lse, dq, dk, dv, batch, heads, kvHeads, 0);
              return out(backend, o, lse, dq, dk, dv);
            }));
  }
}
