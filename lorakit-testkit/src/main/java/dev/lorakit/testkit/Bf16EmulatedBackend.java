package dev.lorakit.testkit;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.backend.OpArguments;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A test backend that supports {@link Precision#BF16} on the CPU by emulation: BF16 tensors are
 * stored as bfloat16, every op accepts exactly the dtypes the {@link Backend#supports} contract
 * (and the CUDA backend) accepts and fails on any other, by the shared checks of {@link
 * OpArguments}, widens BF16 inputs to float32, computes on a {@link CpuBackend} and rounds BF16
 * outputs back. So the bf16 decoder's plumbing (which tensor has which dtype in every op) and its
 * numerics (fp32 accumulation, bf16 storage) are tested without a GPU. Slow and allocation-heavy:
 * small models only. lora-models' tests use it to hold the bf16 decoder to the reference fixtures'
 * bf16 tolerances.
 */
public final class Bf16EmulatedBackend implements Backend {

  private final CpuBackend cpu;
  private final List<Tensor> temps = new ArrayList<>();

  /** The ops that saw a BF16 tensor, so a test can tell that the bf16 path was taken. */
  public final Set<String> bf16Ops = new TreeSet<>();

  public Bf16EmulatedBackend(CpuBackend cpu) {
    this.cpu = cpu;
  }

  @Override
  public String name() {
    return "cpu with bf16 emulation";
  }

  @Override
  public boolean supports(Precision precision) {
    return true;
  }

  // ---- dtype rules and conversions
  // -----------------------------------------------------------------------

  /** Notes {@code op} in {@link #bf16Ops} when one of {@code ts} is BF16. */
  private void seen(String op, Tensor... ts) {
    for (Tensor t : ts) {
      if (t != null && t.dtype() == DType.BF16) {
        bf16Ops.add(op);
      }
    }
  }

  /** {@code t} as F32: itself, or a widened temporary. */
  private Tensor wide(Tensor t) {
    if (t == null || t.dtype() == DType.F32) {
      return t;
    }
    Tensor w = cpu.zeros(DType.F32, t.shape());
    cpu.copy(t, w);
    temps.add(w);
    return w;
  }

  /** {@code t} rounded to {@code dtype} and widened again (F32 storage, {@code dtype} values). */
  private Tensor rounded(Tensor t, DType dtype) {
    if (dtype == DType.F32) {
      return wide(t);
    }
    Tensor r = cpu.zeros(dtype, t.shape());
    cpu.copy(t, r);
    temps.add(r);
    return wide(r);
  }

  /** Writes the F32 result {@code w} into {@code t} (rounding) when they differ. */
  private void back(Tensor w, Tensor t) {
    if (w != t) {
      cpu.copy(w, t);
    }
  }

  private void done() {
    temps.forEach(Tensor::close);
    temps.clear();
  }

  // ---- memory
  // ----------------------------------------------------------------------------------------------

  @Override
  public Tensor zeros(DType dtype, Shape shape) {
    return cpu.zeros(dtype, shape);
  }

  @Override
  public Tensor upload(float[] data, DType dtype, Shape shape) {
    return cpu.upload(data, dtype, shape);
  }

  @Override
  public float[] download(Tensor t) {
    return cpu.download(t);
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    cpu.copy(src, dst);
  }

  @Override
  public void copyAt(Tensor src, Tensor dst, int batch, int position) {
    OpArguments.copyAt(src, dst, batch, position);
    seen("copyAt", src, dst);
    Tensor d = wide(dst);
    cpu.copyAt(wide(src), d, batch, position);
    back(d, dst);
    done();
  }

  @Override
  public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
    cpu.copyColumns(src, srcCol, dst, dstCol, rows, cols);
  }

  @Override
  public void fill(Tensor t, float value) {
    cpu.fill(t, value);
  }

  // ---- F32-only ops (the CPU checks them)
  // ----------------------------------------------------------------------------------------

  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    cpu.add(a, b, out);
  }

  @Override
  public void addScaled(Tensor x, float alpha, Tensor y) {
    cpu.addScaled(x, alpha, y);
  }

  @Override
  public void scale(Tensor x, float s) {
    cpu.scale(x, s);
  }

  @Override
  public double sumOfSquares(Tensor x) {
    return cpu.sumOfSquares(x);
  }

  @Override
  public boolean allFinite(Tensor x) {
    return cpu.allFinite(x);
  }

  @Override
  public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
    cpu.embeddingBackward(dOut, ids, dTable);
  }

  @Override
  public void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
    cpu.rmsNormBackward(dOut, x, weight, rstd, dx, dWeight);
  }

  @Override
  public double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale) {
    return cpu.crossEntropy(logits, targets, dLogits, gradScale);
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
    cpu.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
  }

  // ---- ops that take BF16 activations
  // ----------------------------------------------------------------------

  @Override
  public void dropout(Tensor x, Tensor out, float p, long seed) {
    OpArguments.dropout(this, x, out, p);
    seen("dropout", x, out);
    Tensor o = out == x ? wide(x) : cpu.zeros(DType.F32, out.shape());
    if (o != out && out != x) {
      temps.add(o);
    }
    cpu.dropout(wide(x), o, p, seed);
    back(o, out);
    done();
  }

  @Override
  public void matmul(
      Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
    // The CUDA backend's rounding rule: the emulation takes and rounds what a GPU does.
    OpArguments.matmul(this, a, transA, b, transB, c);
    DType in = OpArguments.matmulOperands(a.dtype(), b.dtype(), c.dtype());
    if (in == DType.BF16) {
      bf16Ops.add("matmul");
    }
    Tensor wc = beta == 0 && c.dtype() != DType.F32 ? cpu.zeros(DType.F32, c.shape()) : wide(c);
    if (wc != c && !temps.contains(wc)) {
      temps.add(wc);
    }
    cpu.matmul(rounded(a, in), transA, rounded(b, in), transB, wc, alpha, beta);
    back(wc, c);
    done();
  }

  @Override
  public void embedding(Tensor table, int[] ids, Tensor out) {
    OpArguments.embedding(table, ids, out);
    seen("embedding", table);
    cpu.embedding(wide(table), ids, out);
    done();
  }

  @Override
  public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
    OpArguments.rmsNorm(this, x, weight, out, rstd);
    seen("rmsNorm", x, out);
    Tensor o = out.dtype() == DType.F32 ? out : cpu.zeros(DType.F32, out.shape());
    if (o != out) {
      temps.add(o);
    }
    cpu.rmsNorm(wide(x), weight, eps, o, rstd);
    back(o, out);
    done();
  }

  @Override
  public void rope(
      Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse) {
    OpArguments.rope(this, x, batch, heads, cos, sin, position);
    seen("rope", x);
    Tensor w = wide(x);
    cpu.rope(w, batch, heads, cos, sin, position, inverse);
    back(w, x);
    done();
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
    seen("attention", q, k, v, out);
    Tensor o = out.dtype() == DType.F32 ? out : cpu.zeros(DType.F32, out.shape());
    if (o != out) {
      temps.add(o);
    }
    cpu.attention(
        wide(q), wide(k), wide(v), o, lse, batch, heads, kvHeads, position, kvLength, window);
    back(o, out);
    done();
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
    seen("attentionBackward", q, k, v, out);
    cpu.attentionBackward(
        dOut, wide(q), wide(k), wide(v), wide(out), lse, dq, dk, dv, batch, heads, kvHeads, window);
    done();
  }

  @Override
  public void swiglu(Tensor gate, Tensor up, Tensor out) {
    OpArguments.swiglu(this, gate, up, out);
    seen("swiglu", gate, up, out);
    Tensor o = out.dtype() == DType.F32 ? out : cpu.zeros(DType.F32, out.shape());
    if (o != out) {
      temps.add(o);
    }
    cpu.swiglu(wide(gate), wide(up), o);
    back(o, out);
    done();
  }

  @Override
  public void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
    OpArguments.swigluBackward(this, dOut, gate, up, dGate, dUp);
    seen("swigluBackward", gate, up);
    cpu.swigluBackward(dOut, wide(gate), wide(up), dGate, dUp);
    done();
  }

  @Override
  public void close() {
    done();
  }
}
