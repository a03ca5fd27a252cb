package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The reference backend: float32 arithmetic on the Java heap, Vector API inner loops, work split
 * over a fixed thread pool. BF16/F16 tensors are storage; {@link #copy} widens them to F32. In
 * {@link Precision#BF16} the frozen weights stay bf16 (a {@link #frozen} bf16 tensor reads them
 * straight from the memory-mapped checkpoint) and are widened to float32 where they are used: while
 * the matrix product packs its {@code b} operand, and in the embedding lookup. Activations, LoRA,
 * gradients and the optimizer stay float32.
 */
public final class CpuBackend implements Backend {

  private final Parallel par;
  private final Matmul matmul;

  /** A backend using every available processor. */
  public CpuBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  /** A backend using {@code threads} threads (1: everything on the calling thread). */
  public CpuBackend(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException(
          "The CPU backend needs at least one thread, not " + threads + ".");
    }
    this.par = new Parallel(threads);
    this.matmul = new Matmul(par);
  }

  @Override
  public String name() {
    return "cpu ("
        + par.threads()
        + " threads, "
        + VectorKernels.F.vectorBitSize()
        + "-bit vectors)";
  }

  /** fp32, and bf16 as frozen bf16 weights with float32 activations (see {@link #activations}). */
  @Override
  public boolean supports(Precision precision) {
    return true;
  }

  /**
   * F32 in every precision: the arithmetic is float32, so rounding the activations would only lose
   * accuracy.
   */
  @Override
  public DType activations(Precision precision) {
    return DType.F32;
  }

  /**
   * A BF16 tensor keeps {@code bytes} as its storage (no copy; read-only); other dtypes are copied.
   */
  @Override
  public Tensor frozen(MemorySegment bytes, DType dtype, Shape shape) {
    if (dtype != DType.BF16) {
      return Backend.super.frozen(bytes, dtype, shape);
    }
    return new CpuTensor(this, shape, bytes);
  }

  private CpuTensor cpu(Tensor t, String what) {
    if (!(t instanceof CpuTensor c) || c.owner != this) {
      throw new IllegalArgumentException(what + " was not made by this CPU backend: " + t + ".");
    }
    return c;
  }

  private float[] f32(Tensor t, String what) {
    return cpu(t, what).floats();
  }

  private static int cols(Tensor t) {
    return t.shape().dim(-1);
  }

  // ---- memory
  // ------------------------------------------------------------------------------------------

  @Override
  public Tensor zeros(DType dtype, Shape shape) {
    return new CpuTensor(this, dtype, shape);
  }

  @Override
  public Tensor upload(float[] data, DType dtype, Shape shape) {
    OpArguments.upload(data, shape);
    CpuTensor t = new CpuTensor(this, dtype, shape);
    if (dtype == DType.F32) {
      System.arraycopy(data, 0, t.floats(), 0, data.length);
    } else {
      for (int i = 0; i < data.length; i++) {
        t.set(i, data[i]);
      }
    }
    return t;
  }

  @Override
  public float[] download(Tensor t) {
    CpuTensor c = cpu(t, "download");
    if (c.dtype() == DType.F32) {
      return c.floats().clone();
    }
    float[] out = new float[c.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = c.get(i);
    }
    return out;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    CpuTensor s = cpu(src, "copy source");
    CpuTensor d = cpu(dst, "copy destination");
    OpArguments.copy(src, dst);
    if (s.dtype() == DType.F32 && d.dtype() == DType.F32) {
      System.arraycopy(s.floats(), 0, d.floats(), 0, s.length());
    } else if (s.dtype() == d.dtype()) {
      MemorySegment.copy(s.halfSegment(), 0, MemorySegment.ofArray(d.halves()), 0, 2L * s.length());
    } else if (s.dtype() == DType.BF16 && d.dtype() == DType.F32) {
      MemorySegment from = s.halfSegment();
      float[] to = d.floats();
      par.forRange(s.length(), 1 << 14, (lo, hi) -> Bf16Lanes.widen(from, lo, to, lo, hi - lo));
    } else {
      par.forRange(
          s.length(),
          1 << 14,
          (from, to) -> {
            for (int i = from; i < to; i++) {
              d.set(i, s.get(i));
            }
          });
    }
  }

  @Override
  public void copyAt(Tensor src, Tensor dst, int batch, int position) {
    cpu(src, "copyAt source");
    cpu(dst, "copyAt destination");
    OpArguments.copyAt(src, dst, batch, position);
    float[] s = f32(src, "copyAt source");
    float[] d = f32(dst, "copyAt destination");
    int c = cols(src);
    int n = (int) (src.size() / c / batch);
    int capacity = (int) (dst.size() / c / batch);
    for (int b = 0; b < batch; b++) {
      System.arraycopy(s, b * n * c, d, (b * capacity + position) * c, n * c);
    }
  }

  @Override
  public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
    CpuTensor s = cpu(src, "copyColumns source");
    CpuTensor d = cpu(dst, "copyColumns destination");
    long srcWidth = OpArguments.copyColumns(src, srcCol, dst, dstCol, rows, cols);
    long dstWidth = dst.size() / rows;
    MemorySegment from =
        s.dtype() == DType.F32 ? MemorySegment.ofArray(s.floats()) : s.halfSegment();
    MemorySegment to =
        d.dtype() == DType.F32
            ? MemorySegment.ofArray(d.floats())
            : MemorySegment.ofArray(d.halves());
    long bytes = s.dtype().bytes();
    for (int i = 0; i < rows; i++) {
      MemorySegment.copy(
          from, (i * srcWidth + srcCol) * bytes, to, (i * dstWidth + dstCol) * bytes, cols * bytes);
    }
  }

  @Override
  public void fill(Tensor t, float value) {
    CpuTensor c = cpu(t, "fill");
    if (c.dtype() == DType.F32) {
      Arrays.fill(c.floats(), value);
    } else {
      for (int i = 0; i < c.length(); i++) {
        c.set(i, value);
      }
    }
  }

  // ---- elementwise and reductions
  // ----------------------------------------------------------------------

  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    OpArguments.add(a, b, out);
    float[] x = f32(a, "add a");
    float[] y = f32(b, "add b");
    float[] o = f32(out, "add out");
    par.forRange(
        o.length,
        1 << 14,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            o[i] = x[i] + y[i];
          }
        });
  }

  @Override
  public void addScaled(Tensor x, float alpha, Tensor y) {
    OpArguments.addScaled(x, y);
    float[] xs = f32(x, "addScaled x");
    float[] ys = f32(y, "addScaled y");
    par.forRange(
        xs.length, 1 << 14, (from, to) -> VectorKernels.axpy(alpha, xs, from, ys, from, to - from));
  }

  @Override
  public void scale(Tensor x, float s) {
    OpArguments.scale(x);
    float[] xs = f32(x, "scale");
    par.forRange(xs.length, 1 << 14, (from, to) -> VectorKernels.scale(s, xs, from, to - from));
  }

  @Override
  public double sumOfSquares(Tensor x) {
    OpArguments.sumOfSquares(x);
    float[] xs = f32(x, "sumOfSquares");
    double sum = 0;
    for (float f : xs) {
      sum += (double) f * f;
    }
    return sum;
  }

  @Override
  public boolean allFinite(Tensor x) {
    OpArguments.allFinite(x);
    for (float f : f32(x, "allFinite")) {
      if (!Float.isFinite(f)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void dropout(Tensor x, Tensor out, float p, long seed) {
    OpArguments.dropout(this, x, out, p);
    float[] xs = f32(x, "dropout x");
    float[] os = f32(out, "dropout out");
    if (p == 0) {
      if (xs != os) {
        System.arraycopy(xs, 0, os, 0, xs.length);
      }
      return;
    }
    float keepScale = 1f / (1f - p);
    par.forRange(
        xs.length,
        1 << 14,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            os[i] = uniform(seed, i) < p ? 0f : xs[i] * keepScale;
          }
        });
  }

  /** A uniform number in [0, 1) that depends only on (seed, index): SplitMix64's finaliser. */
  static double uniform(long seed, long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }

  // ---- linear algebra
  // ----------------------------------------------------------------------------------

  @Override
  public void matmul(
      Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
    CpuTensor tc = cpu(c, "matmul c");
    if (tc.isFrozenView()) {
      // A frozen view is this backend's own (like the owner check), and says more than "BF16".
      throw new IllegalArgumentException(
          "matmul: c "
              + c.shape()
              + " is a read-only view of frozen bf16 weights; an adapter cannot be merged into "
              + "them (use fp32).");
    }
    matmul.run(this, cpu(a, "matmul a"), transA, cpu(b, "matmul b"), transB, tc, alpha, beta);
  }

  // ---- decoder ops
  // -------------------------------------------------------------------------------------

  @Override
  public void embedding(Tensor table, int[] ids, Tensor out) {
    CpuTensor tab = cpu(table, "embedding table");
    OpArguments.embedding(table, ids, out);
    float[] o = f32(out, "embedding out");
    int h = cols(table);
    MemorySegment bf16 = tab.dtype() == DType.BF16 ? tab.halfSegment() : null;
    par.forRange(
        ids.length,
        16,
        (from, to) -> {
          for (int t = from; t < to; t++) {
            if (tab.dtype() == DType.F32) {
              System.arraycopy(tab.floats(), ids[t] * h, o, t * h, h);
            } else if (bf16 != null) {
              Bf16Lanes.widen(bf16, (long) ids[t] * h, o, t * h, h);
            } else {
              for (int i = 0; i < h; i++) {
                o[t * h + i] = tab.get(ids[t] * h + i);
              }
            }
          }
        });
  }

  @Override
  public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
    OpArguments.embeddingBackward(dOut, ids, dTable);
    float[] g = f32(dOut, "embeddingBackward dOut");
    float[] d = f32(dTable, "embeddingBackward dTable");
    int h = cols(dTable);
    // Serial in token order: repeated ids add up in a fixed order.
    for (int t = 0; t < ids.length; t++) {
      VectorKernels.axpy(1f, g, t * h, d, ids[t] * h, h);
    }
  }

  @Override
  public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
    OpArguments.rmsNorm(this, x, weight, out, rstd);
    float[] xs = f32(x, "rmsNorm x");
    float[] w = f32(weight, "rmsNorm weight");
    float[] o = f32(out, "rmsNorm out");
    float[] r = rstd == null ? null : f32(rstd, "rmsNorm rstd");
    int h = w.length;
    int rows = xs.length / h;
    par.forRange(
        rows,
        8,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            int off = row * h;
            double ss = 0;
            for (int i = 0; i < h; i++) {
              ss += (double) xs[off + i] * xs[off + i];
            }
            double inv = 1.0 / Math.sqrt(ss / h + eps);
            for (int i = 0; i < h; i++) {
              o[off + i] = (float) (w[i] * (xs[off + i] * inv));
            }
            if (r != null) {
              r[row] = (float) inv;
            }
          }
        });
  }

  @Override
  public void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
    OpArguments.rmsNormBackward(dOut, x, weight, rstd, dx, dWeight);
    float[] g = f32(dOut, "rmsNormBackward dOut");
    float[] xs = f32(x, "rmsNormBackward x");
    float[] w = f32(weight, "rmsNormBackward weight");
    float[] r = f32(rstd, "rmsNormBackward rstd");
    float[] d = f32(dx, "rmsNormBackward dx");
    int h = w.length;
    int rows = xs.length / h;
    par.forRange(
        rows,
        8,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            int off = row * h;
            double inv = r[row];
            double dot = 0;
            for (int i = 0; i < h; i++) {
              dot += (double) g[off + i] * w[i] * xs[off + i];
            }
            double c = inv * inv * inv * dot / h;
            for (int i = 0; i < h; i++) {
              d[off + i] += (float) (inv * g[off + i] * w[i] - c * xs[off + i]);
            }
          }
        });
    if (dWeight != null) {
      float[] dw = f32(dWeight, "rmsNormBackward dWeight");
      par.forRange(
          h,
          16,
          (from, to) -> {
            for (int i = from; i < to; i++) {
              double acc = 0;
              for (int row = 0; row < rows; row++) {
                acc += (double) g[row * h + i] * xs[row * h + i] * r[row];
              }
              dw[i] += (float) acc;
            }
          });
    }
  }

  @Override
  public void rope(
      Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse) {
    OpArguments.rope(this, x, batch, heads, cos, sin, position);
    float[] xs = f32(x, "rope x");
    float[] cs = f32(cos, "rope cos");
    float[] sn = f32(sin, "rope sin");
    int width = cols(x);
    int d = width / heads;
    int half = d / 2;
    int rows = xs.length / width;
    int n = rows / batch;
    double sign = inverse ? -1 : 1;
    par.forRange(
        rows,
        8,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            int tab = (position + row % n) * half;
            for (int h = 0; h < heads; h++) {
              int off = row * width + h * d;
              for (int i = 0; i < half; i++) {
                double c = cs[tab + i];
                double s = sign * sn[tab + i];
                double x1 = xs[off + i];
                double x2 = xs[off + i + half];
                xs[off + i] = (float) (x1 * c - x2 * s);
                xs[off + i + half] = (float) (x2 * c + x1 * s);
              }
            }
          }
        });
  }

  @Override
  public void attention(
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      int batch,
      int heads,
      int kvHeads,
      int position,
      int kvLength,
      int window) {
    OpArguments.attention(this, q, k, v, out, lse, batch, heads, kvHeads, position, kvLength);
    int d = cols(q) / heads;
    int n = q.shape().rows() / batch;
    int capacity = k.shape().rows() / batch;
    Attention.forward(
        par,
        f32(q, "q"),
        f32(k, "k"),
        f32(v, "v"),
        f32(out, "attention out"),
        lse == null ? null : f32(lse, "lse"),
        batch,
        n,
        capacity,
        heads,
        kvHeads,
        d,
        position,
        kvLength,
        window);
  }

  @Override
  public void attentionBackward(
      Tensor dOut,
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      Tensor dq,
      Tensor dk,
      Tensor dv,
      int batch,
      int heads,
      int kvHeads,
      int window) {
    OpArguments.attentionBackward(this, dOut, q, k, v, out, lse, dq, dk, dv, batch, heads, kvHeads);
    int d = cols(q) / heads;
    int n = q.shape().rows() / batch;
    Attention.backward(
        par,
        f32(dOut, "dOut"),
        f32(q, "q"),
        f32(k, "k"),
        f32(v, "v"),
        f32(out, "out"),
        f32(lse, "lse"),
        f32(dq, "dq"),
        f32(dk, "dk"),
        f32(dv, "dv"),
        batch,
        n,
        heads,
        kvHeads,
        d,
        window);
  }

  @Override
  public void swiglu(Tensor gate, Tensor up, Tensor out) {
    OpArguments.swiglu(this, gate, up, out);
    float[] g = f32(gate, "swiglu gate");
    float[] u = f32(up, "swiglu up");
    float[] o = f32(out, "swiglu out");
    par.forRange(g.length, 1 << 13, (from, to) -> VectorKernels.swiglu(g, u, o, from, to));
  }

  @Override
  public void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
    OpArguments.swigluBackward(this, dOut, gate, up, dGate, dUp);
    float[] d = f32(dOut, "swigluBackward dOut");
    float[] g = f32(gate, "swigluBackward gate");
    float[] u = f32(up, "swigluBackward up");
    float[] dg = f32(dGate, "swigluBackward dGate");
    float[] du = f32(dUp, "swigluBackward dUp");
    par.forRange(
        g.length, 1 << 13, (from, to) -> VectorKernels.swigluBackward(d, g, u, dg, du, from, to));
  }

  @Override
  public double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale) {
    OpArguments.crossEntropy(logits, targets, dLogits);
    float[] z = f32(logits, "crossEntropy logits");
    float[] dz = dLogits == null ? null : f32(dLogits, "crossEntropy dLogits");
    int vocab = cols(logits);
    int rows = logits.shape().rows();
    double[] losses = new double[rows];
    // Per row: the max, then one pass that writes e^(z - max) straight into dLogits and sums it,
    // then the scale
    // to gradScale * softmax in place (the row, 128 KB over 32000 entries, is still in L2). One
    // exponential per
    // logit, vectorised (VectorKernels.exp).
    par.forRange(
        rows,
        1,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            int off = row * vocab;
            int target = targets[row];
            if (target == IGNORE_INDEX) {
              if (dz != null) {
                Arrays.fill(dz, off, off + vocab, 0f);
              }
              continue;
            }
            float max = VectorKernels.max(z, off, vocab);
            float zTarget = z[off + target];
            double sum = VectorKernels.expShifted(z, off, vocab, max, dz, off);
            losses[row] = max + Math.log(sum) - zTarget;
            if (dz != null) {
              VectorKernels.scale((float) (gradScale / sum), dz, off, vocab);
              dz[off + target] -= gradScale;
            }
          }
        });
    double total = 0;
    for (double l : losses) {
      total += l;
    }
    return total;
  }

  @Override
  public void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      int step) {
    OpArguments.adamW(param, grad, m, v, step);
    float[] p = f32(param, "adamW param");
    float[] g = f32(grad, "adamW grad");
    float[] ms = f32(m, "adamW m");
    float[] vs = f32(v, "adamW v");
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    double stepSize = lr / bc1;
    double decay = 1 - lr * weightDecay;
    par.forRange(
        p.length,
        1 << 13,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            double gi = g[i];
            double mi = beta1 * ms[i] + (1 - beta1) * gi;
            double vi = beta2 * vs[i] + (1 - beta2) * gi * gi;
            ms[i] = (float) mi;
            vs[i] = (float) vi;
            p[i] = (float) (p[i] * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
          }
        });
  }

  @Override
  public void close() {
    par.close();
  }
}
