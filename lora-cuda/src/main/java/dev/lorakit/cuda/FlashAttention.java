package dev.lorakit.cuda;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The fused attention kernels of {@code flash_attention.cu}: forward with an online softmax that
 * writes each query row's log-sum-exp, backward that recomputes the probabilities from it, both
 * without a {@code [seq, seq]} matrix. The block and tile sizes here are the kernels'; the tests'
 * plain-Java twin of the kernels uses them too.
 *
 * <p>Taken when q, k, v and out are all F32 or all BF16, lse and (in the backward) every gradient
 * are F32 (what the bf16 decoder holds: bf16 activations, f32 gradients), and the head width is at
 * most {@link #MAX_HEAD_DIM}; the backend's cuBLAS path handles the rest, and everything when the
 * system property {@value #PROPERTY} is {@code gemm} (to compare the two).
 *
 * <p>BF16 attention with head width 64 or 128 runs on tensor cores ({@code flash_attention_tc.cu}:
 * mma.sync and ldmatrix, fp32 accumulation), forward and backward, with the same arguments, outputs
 * and log-sum-exp as the fp32-arithmetic kernels; the property value {@code cuda-cores} keeps every
 * flash kernel on the fp32-arithmetic path, the reference to compare with.
 */
final class FlashAttention {

  /** Query (or key) rows a block owns. */
  static final int ROWS = 32;

  /** Threads that share one row, splitting the head width interleaved. */
  static final int THREADS_PER_ROW = 4;

  static final int THREADS = ROWS * THREADS_PER_ROW;
  static final int MAX_HEAD_DIM = 256;
  static final String PROPERTY = "lorakit.cuda.attention";

  /** Query rows a block of the tensor-core forward owns (4 warps of 16). */
  static final int TC_ROWS = 64;

  static final int TC_THREADS = 128;

  static final List<String> TC_ENTRY_POINTS =
      List.of(
          "flash_attn_tc_fwd_bf16_d64",
          "flash_attn_tc_fwd_bf16_d128",
          "flash_attn_tc_bwd_dkdv_bf16_d64",
          "flash_attn_tc_bwd_dkdv_bf16_d128",
          "flash_attn_tc_bwd_dq_bf16_d64",
          "flash_attn_tc_bwd_dq_bf16_d128");

  static final List<String> ENTRY_POINTS = entryPoints();

  private final Kernels kernels;
  private final MemorySegment stream;
  private final DeviceAllocator allocator;
  private final boolean enabled;
  private final boolean tensorCores;

  FlashAttention(Kernels kernels, MemorySegment stream, DeviceAllocator allocator, String mode) {
    this.kernels = kernels;
    this.stream = stream;
    this.allocator = allocator;
    this.enabled = !"gemm".equalsIgnoreCase(mode);
    this.tensorCores = !"cuda-cores".equalsIgnoreCase(mode);
  }

  private static List<String> entryPoints() {
    List<String> names = new ArrayList<>();
    for (String t : List.of("f32", "bf16")) {
      for (int cap : List.of(64, 128, 256)) {
        names.add("flash_attn_fwd_" + t + "_d" + cap);
        names.add("flash_attn_bwd_dkdv_" + t + "_d" + cap);
        names.add("flash_attn_bwd_dq_" + t + "_d" + cap);
      }
      names.add("flash_attn_row_dot_" + t);
    }
    return List.copyOf(names);
  }

  /**
   * The compiled head-width cap a head of width {@code d} runs under (64, 128 or 256), or 0: not
   * supported.
   */
  static int cap(int d) {
    return d <= 0 ? 0 : d <= 64 ? 64 : d <= 128 ? 128 : d <= MAX_HEAD_DIM ? 256 : 0;
  }

  /**
   * Rows of the streamed operand's tiles (keys in the forward and dQ kernels, queries in the dK/dV
   * kernel).
   */
  static int tile(int cap) {
    return cap <= 128 ? 32 : 16;
  }

  static int blocks(int rows) {
    return (rows + ROWS - 1) / ROWS;
  }

  /** Whether every tensor is F32. */
  private static boolean allF32(Tensor... ts) {
    for (Tensor t : ts) {
      if (t.dtype() != DType.F32) {
        return false;
      }
    }
    return true;
  }

  /** The dtype the kernels run on, or null when the operands do not fit them. */
  private static String suffix(Tensor... ts) {
    DType first = ts[0].dtype();
    if (first != DType.F32 && first != DType.BF16) {
      return null;
    }
    for (Tensor t : ts) {
      if (t.dtype() != first) {
        return null;
      }
    }
    return first == DType.F32 ? "f32" : "bf16";
  }

  private static long ptr(Tensor t) {
    return t == null ? 0L : ((CudaTensor) t).pointer();
  }

  /**
   * Runs the forward when it applies (shapes already checked by the caller) and says whether it
   * did. {@code q [batch*n, heads*d]}, {@code k, v [batch*capacity, kvHeads*d]}.
   */
  boolean forward(
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      int batch,
      int n,
      int capacity,
      int heads,
      int kvHeads,
      int d,
      int position,
      int kvLength,
      int window) {
    String t = suffix(q, k, v, out);
    if (!enabled || t == null || cap(d) == 0 || (lse != null && lse.dtype() != DType.F32)) {
      return false;
    }
    if (onTensorCores(t, d)) {
      kernels.launchGrid(
          "flash_attn_tc_fwd_bf16_d" + d,
          stream,
          (n + TC_ROWS - 1) / TC_ROWS,
          heads,
          batch,
          TC_THREADS,
          ptr(q),
          ptr(k),
          ptr(v),
          ptr(out),
          ptr(lse),
          n,
          capacity,
          heads,
          kvHeads,
          d,
          position,
          kvLength,
          window,
          scale(d));
      return true;
    }
    kernels.launchGrid(
        "flash_attn_fwd_" + t + "_d" + cap(d),
        stream,
        blocks(n),
        heads,
        batch,
        THREADS,
        ptr(q),
        ptr(k),
        ptr(v),
        ptr(out),
        ptr(lse),
        n,
        capacity,
        heads,
        kvHeads,
        d,
        position,
        kvLength,
        window,
        scale(d));
    return true;
  }

  private boolean onTensorCores(String dtype, int d) {
    return tensorCores && dtype.equals("bf16") && (d == 64 || d == 128);
  }

  /**
   * Runs the backward (whole sequences, {@code +=} into the gradients) when it applies; says
   * whether it did.
   */
  boolean backward(
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
      int n,
      int heads,
      int kvHeads,
      int d,
      int window) {
    String t = suffix(q, k, v, out);
    if (!enabled || t == null || cap(d) == 0 || !allF32(lse, dOut, dq, dk, dv)) {
      return false;
    }
    long rows = (long) batch * heads * n;
    long dsum = allocator.allocate(4 * rows, "attentionBackward");
    try {
      kernels.launch(
          "flash_attn_row_dot_" + t,
          stream,
          Kernels.blocksFor(rows),
          ptr(dOut),
          ptr(out),
          dsum,
          batch,
          n,
          heads,
          d);
      boolean tc = onTensorCores(t, d);
      String prefix = tc ? "flash_attn_tc_bwd_" : "flash_attn_bwd_";
      String suffix = "_" + t + "_d" + (tc ? d : cap(d));
      long grid = tc ? (n + TC_ROWS - 1) / TC_ROWS : blocks(n);
      int threads = tc ? TC_THREADS : THREADS;
      kernels.launchGrid(
          prefix + "dkdv" + suffix,
          stream,
          grid,
          kvHeads,
          batch,
          threads,
          ptr(dOut),
          ptr(q),
          ptr(k),
          ptr(v),
          ptr(lse),
          dsum,
          ptr(dk),
          ptr(dv),
          n,
          heads,
          kvHeads,
          d,
          window,
          scale(d));
      kernels.launchGrid(
          prefix + "dq" + suffix,
          stream,
          grid,
          heads,
          batch,
          threads,
          ptr(dOut),
          ptr(q),
          ptr(k),
          ptr(v),
          ptr(lse),
          dsum,
          ptr(dq),
          n,
          heads,
          kvHeads,
          d,
          window,
          scale(d));
    } finally {
      // Stream order: the next user of this block runs after these kernels.
      allocator.release(dsum);
    }
    return true;
  }

  static float scale(int d) {
    return (float) (1.0 / Math.sqrt(d));
  }
}
