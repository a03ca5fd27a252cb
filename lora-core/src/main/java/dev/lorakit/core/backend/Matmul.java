package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * {@code C = alpha * op(A) op(B) + beta * C} on float arrays: checks the arguments ({@link
 * OpArguments#matmul}), then hands each matrix of the batch to {@link SkinnyGemm} when one of its
 * sizes is a LoRA rank, else to {@link PackedGemm}. Both compute every element the same way
 * whatever the shape, the layout or the thread count (so a one-token decoding step gives bit for
 * bit the logits of the full pass).
 */
final class Matmul {

  private final PackedGemm gemm;
  private final SkinnyGemm skinny;

  Matmul(Parallel par) {
    this.gemm = new PackedGemm(par);
    this.skinny = new SkinnyGemm(par);
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
          throw new IllegalStateException("matmul: an F16 " + which + " passed the checks.");
    };
  }

  void run(
      Backend backend,
      CpuTensor ta,
      boolean transA,
      CpuTensor tb,
      boolean transB,
      CpuTensor tc,
      float alpha,
      float beta) {
    OpArguments.MatmulSizes sizes = OpArguments.matmul(backend, ta, transA, tb, transB, tc);
    int batch = sizes.batch();
    int m = sizes.m();
    int n = sizes.n();
    int k = sizes.k();
    float[] av = floats(ta, "a");
    float[] cv = tc.floats();
    // Frozen bf16 weights (the usual b) are widened while B is packed, never copied whole.
    boolean bf16 = tb.dtype() == DType.BF16;
    float[] bv = bf16 ? null : floats(tb, "b");
    MemorySegment bh = bf16 ? tb.halfSegment() : null;
    int aStride = sizes.aShared() ? 0 : m * k;
    int bStride = sizes.bShared() ? 0 : k * n;
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
