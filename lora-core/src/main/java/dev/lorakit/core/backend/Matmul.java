package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import java.lang.foreign.MemorySegment;

/**
 * {@code C = alpha * op(A) op(B) + beta * C} on float arrays: checks the shapes, then hands each
 * matrix of the batch to {@link SkinnyGemm} when one of its sizes is a LoRA rank, else to {@link
 * PackedGemm}. Both compute every element the same way whatever the shape, the layout or the thread
 * count (so a one-token decoding step gives bit for bit the logits of the full pass).
 */
final class Matmul {

  private final PackedGemm gemm;
  private final SkinnyGemm skinny;

  Matmul(Parallel par) {
    this.gemm = new PackedGemm(par);
    this.skinny = new SkinnyGemm(par);
  }

  /**
   * One operand seen as {@code count} matrices of {@code rows x cols} ({@code count} 1: shared).
   */
  private record Operand(int count, int rows, int cols) {
    static Operand of(Shape s, int batch) {
      int cols = s.dim(-1);
      boolean batched = batch > 1 && s.rank() >= 3 && leading(s) == batch;
      int count = batched ? batch : 1;
      // Rows from the dimensions, not size / cols: an empty depth (cols 0) still has rows.
      long rows = 1;
      for (int i = 0; i < s.rank() - 1; i++) {
        rows *= s.dim(i);
      }
      return new Operand(count, (int) (rows / count), cols);
    }
  }

  static long leading(Shape s) {
    long p = 1;
    for (int i = 0; i < s.rank() - 2; i++) {
      p *= s.dim(i);
    }
    return p;
  }

  /**
   * The float values of an operand: an F32 tensor's own array, or a BF16 one widened into a new
   * array (a bf16 {@code a} is rare: the decoder's bf16 tensors are frozen weights, which it passes
   * as {@code b}).
   */
  private static float[] floats(CpuTensor t, String which) {
    return switch (t.dtype()) {
      case F32 -> t.floats();
      case BF16 -> {
        float[] wide = new float[t.length()];
        Bf16Lanes.widen(t.halfSegment(), 0, wide, 0, wide.length);
        yield wide;
      }
      case F16 ->
          throw new IllegalArgumentException(
              "matmul: "
                  + which
                  + " is F16 "
                  + t.shape()
                  + "; the CPU multiplies F32 and BF16 tensors only (convert it with copy()).");
    };
  }

  void run(
      CpuTensor ta,
      boolean transA,
      CpuTensor tb,
      boolean transB,
      CpuTensor tc,
      float alpha,
      float beta) {
    Shape cs = tc.shape();
    if (cs.rank() < 2) {
      throw new IllegalArgumentException("matmul: the output must have rank >= 2, not " + cs + ".");
    }
    int batch = (int) leading(cs);
    int m = cs.dim(-2);
    int n = cs.dim(-1);
    Operand a = Operand.of(ta.shape(), batch);
    Operand b = Operand.of(tb.shape(), batch);
    int am = transA ? a.cols : a.rows;
    int ak = transA ? a.rows : a.cols;
    int bk = transB ? b.cols : b.rows;
    int bn = transB ? b.rows : b.cols;
    if (am != m || bn != n || ak != bk) {
      throw new IllegalArgumentException(
          "matmul: shapes do not fit: a "
              + ta.shape()
              + (transA ? "^T" : "")
              + ", b "
              + tb.shape()
              + (transB ? "^T" : "")
              + ", c "
              + cs
              + ".");
    }
    int k = ak;
    float[] av = floats(ta, "a");
    if (tc.dtype() != DType.F32) {
      throw new IllegalArgumentException(
          "matmul: the CPU writes F32 outputs only, and c is "
              + tc.dtype()
              + " "
              + cs
              + (tc.isFrozenView()
                  ? ", a read-only view of frozen bf16 weights (an adapter cannot be merged "
                      + "into them; use fp32)"
                  : "")
              + ".");
    }
    float[] cv = tc.floats();
    // Frozen bf16 weights (the usual b) are widened while B is packed, never copied whole.
    boolean bf16 = tb.dtype() == DType.BF16;
    float[] bv = bf16 ? null : floats(tb, "b");
    MemorySegment bh = bf16 ? tb.halfSegment() : null;
    int aStride = a.count == 1 ? 0 : m * k;
    int bStride = b.count == 1 ? 0 : k * n;
    for (int p = 0; p < batch; p++) {
      PackedGemm.View av2 =
          transA
              ? new PackedGemm.View(av, p * aStride, 1, m)
              : new PackedGemm.View(av, p * aStride, k, 1);
      PackedGemm.View bv2 =
          transB
              ? new PackedGemm.View(bv, bh, p * bStride, 1, k)
              : new PackedGemm.View(bv, bh, p * bStride, n, 1);
      if (SkinnyGemm.takes(av2, bv2, m, n, k)) {
        skinny.multiply(av2, bv2, cv, p * m * n, m, n, k, alpha, beta);
      } else {
        gemm.multiply(av2, bv2, cv, p * m * n, m, n, k, alpha, beta);
      }
    }
  }
}
