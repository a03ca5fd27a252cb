package dev.lorakit.core.backend;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C = alpha * op(A) op(B) + beta * C} when one of the three sizes is a LoRA rank ({@code m},
 * {@code n} or {@code k} at most {@link #MAX_SIZE}): {@code x A^T}, {@code (x A^T) B^T} and the
 * backward's {@code dY B}, {@code dY^T xa}, {@code dXa^T x}, {@code dXa A}. {@link PackedGemm}
 * would pad such a product's tiles and copy its big operand into packed panels to use each value a
 * few times; here the big operands are read where they lie.
 *
 * <p>The kernel computes a tile of {@link #ROWS} rows of C by one vector of columns: per step
 * {@code p}, one vector of {@code op(B)}'s row {@code p} (read in place when its columns are
 * contiguous, else from a small transposed copy) and one broadcast value of {@code op(A)} per row.
 * Rows past {@code m} repeat the last row, whose results are not written, so tall operands need no
 * padding copy.
 *
 * <p>Each element of C is computed exactly as {@link PackedGemm} computes it: for each depth block
 * of {@code k} ({@link PackedGemm#depthBlock}) in turn, one FMA chain from zero over the block in
 * ascending {@code k}, then the same merge into C. So results are bit for bit those of the packed
 * path (and of a one-row decoding step), whatever the thread count: threads only decide which tiles
 * they compute.
 */
final class SkinnyGemm {

  private static final VectorSpecies<Float> F = VectorKernels.F;
  private static final int L = F.length();

  /**
   * The largest size that counts as a rank: LoRA's r 8 to 64, or a few projections' ranks stacked.
   */
  static final int MAX_SIZE = 64;

  /** Rows of C per kernel tile: eight independent FMA chains hide the FMA latency. */
  static final int ROWS = 8;

  /**
   * Below this many multiply-adds a product runs on the calling thread (as in {@link PackedGemm}).
   */
  private static final long SERIAL_WORK = 1 << 20;

  private static final int SET = 0;
  private static final int BLEND = 1;
  private static final int ADD = 2;

  private final Parallel par;

  /**
   * The transposed copy of a small {@code op(B)} whose columns are not contiguous; reused between
   * calls.
   */
  private float[] bCopy = new float[0];

  SkinnyGemm(Parallel par) {
    this.par = par;
  }

  /**
   * Whether this path takes the product: a float B, at least {@link PackedGemm#THIN_ROWS} rows
   * (fewer stream through {@link PackedGemm}), one size at most {@link #MAX_SIZE}, and {@code
   * op(B)} either readable in place or small enough to copy.
   */
  static boolean takes(PackedGemm.View a, PackedGemm.View b, int m, int n, int k) {
    if (b.bf16() != null || m < PackedGemm.THIN_ROWS || n == 0 || k == 0) {
      return false;
    }
    boolean skinny = m <= MAX_SIZE || n <= MAX_SIZE || k <= MAX_SIZE;
    boolean bReadable = b.colStride() == 1 || n <= MAX_SIZE || k <= MAX_SIZE;
    return skinny && bReadable;
  }

  /**
   * {@code C[m x n] = alpha op(A) op(B) + beta C}, C row-major at {@code c[co ..]}; one caller at a
   * time.
   */
  void multiply(
      PackedGemm.View a,
      PackedGemm.View b,
      float[] c,
      int co,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    float[] bv;
    int bo;
    int bs;
    if (b.colStride() == 1) {
      bv = b.data();
      bo = b.offset();
      bs = b.rowStride();
    } else {
      bs = Math.ceilDiv(n, L) * L;
      bv = transposedCopy(b, n, k, bs);
      bo = 0;
    }
    if (a.rowStride() == 1 && a.colStride() != 1 && n <= MAX_SIZE && m >= L) {
      multiplyByColumns(a, bv, bo, bs, c, co, m, n, k, alpha, beta);
      return;
    }
    int rowBlocks = Math.ceilDiv(m, ROWS);
    int chunks = Math.ceilDiv(n, L);
    boolean byRows = rowBlocks >= chunks;
    int kb = PackedGemm.depthBlock(k);
    Parallel.Range body =
        (from, to) -> {
          float[] tile = new float[ROWS * L];
          for (int t = from; t < to; t++) {
            int r0 = byRows ? t : 0;
            int r1 = byRows ? t + 1 : rowBlocks;
            int q0 = byRows ? 0 : t;
            int q1 = byRows ? chunks : t + 1;
            for (int pc = 0; pc < k; pc += kb) {
              int kc = Math.min(kb, k - pc);
              int mode = pc > 0 ? ADD : beta == 0f ? SET : BLEND;
              for (int q = q0; q < q1; q++) {
                int j = q * L;
                int cols = Math.min(L, n - j);
                for (int rb = r0; rb < r1; rb++) {
                  int i0 = rb * ROWS;
                  kernel(a, i0, m, pc, kc, bv, bo + pc * bs + j, bs, cols, tile);
                  merge(
                      tile, c, co + i0 * n + j, n, Math.min(ROWS, m - i0), cols, mode, alpha, beta);
                }
              }
            }
          }
        };
    int tasks = byRows ? rowBlocks : chunks;
    if (par.threads() == 1 || (long) m * n * k < SERIAL_WORK) {
      body.run(0, tasks);
    } else {
      par.forRange(tasks, 1, body);
    }
  }

  /**
   * The product when {@code op(A) = A^T} (a column of {@code op(A)} is a stored row) and C is
   * narrow: {@code dY^T xa}, a LoRA B's gradient. Lanes run down C's columns instead: per step
   * {@code p}, two vectors of rows of {@code op(A)}, read in place, times one broadcast value of
   * {@code op(B)} per column.
   */
  private void multiplyByColumns(
      PackedGemm.View a,
      float[] bv,
      int bo,
      int bs,
      float[] c,
      int co,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    int rowBlocks = Math.ceilDiv(m, 2 * L);
    int kb = PackedGemm.depthBlock(k);
    Parallel.Range body =
        (from, to) -> {
          float[] tile = new float[ROWS * 2 * L];
          for (int rb = from; rb < to; rb++) {
            int i0 = rb * 2 * L;
            int rows = Math.min(2 * L, m - i0);
            for (int pc = 0; pc < k; pc += kb) {
              int kc = Math.min(kb, k - pc);
              int mode = pc > 0 ? ADD : beta == 0f ? SET : BLEND;
              for (int j = 0; j < n; j += ROWS) {
                int cols = Math.min(ROWS, n - j);
                columnKernel(a, i0, rows, pc, kc, bv, bo + pc * bs, bs, j, n, tile);
                mergeTransposed(tile, c, co + i0 * n + j, n, rows, cols, mode, alpha, beta);
              }
            }
          }
        };
    if (par.threads() == 1 || (long) m * n * k < SERIAL_WORK) {
      body.run(0, rowBlocks);
    } else {
      par.forRange(rowBlocks, 1, body);
    }
  }

  /**
   * Rows {@code i0 .. i0+rows} (at most two vectors' worth) of {@code op(A)} (stored transposed)
   * over {@code [pc, pc+kc)} times columns {@code j .. j+ROWS} of {@code op(B)} (columns past
   * {@code n} repeat the last one): {@code tile[col * 2L + row]}. Two row vectors per broadcast
   * halve the loads per FMA.
   */
  private static void columnKernel(
      PackedGemm.View a,
      int i0,
      int rows,
      int pc,
      int kc,
      float[] b,
      int bo,
      int bs,
      int j,
      int n,
      float[] tile) {
    float[] av = a.data();
    int as = a.colStride();
    int ao = a.offset() + pc * as + i0;
    int b0 = bo + Math.min(j, n - 1);
    int b1 = bo + Math.min(j + 1, n - 1);
    int b2 = bo + Math.min(j + 2, n - 1);
    int b3 = bo + Math.min(j + 3, n - 1);
    int b4 = bo + Math.min(j + 4, n - 1);
    int b5 = bo + Math.min(j + 5, n - 1);
    int b6 = bo + Math.min(j + 6, n - 1);
    int b7 = bo + Math.min(j + 7, n - 1);
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
    FloatVector c4 = FloatVector.zero(F), c5 = FloatVector.zero(F);
    FloatVector c6 = FloatVector.zero(F), c7 = FloatVector.zero(F);
    FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
    FloatVector d2 = FloatVector.zero(F), d3 = FloatVector.zero(F);
    FloatVector d4 = FloatVector.zero(F), d5 = FloatVector.zero(F);
    FloatVector d6 = FloatVector.zero(F), d7 = FloatVector.zero(F);
    VectorMask<Float> lo = F.indexInRange(0, rows);
    VectorMask<Float> hi = F.indexInRange(L, rows);
    boolean full = rows == 2 * L;
    for (int p = 0; p < kc; p++) {
      int ap = ao + p * as;
      FloatVector x =
          full ? FloatVector.fromArray(F, av, ap) : FloatVector.fromArray(F, av, ap, lo);
      FloatVector y =
          full ? FloatVector.fromArray(F, av, ap + L) : FloatVector.fromArray(F, av, ap + L, hi);
      int o = p * bs;
      FloatVector w = FloatVector.broadcast(F, b[b0 + o]);
      c0 = x.fma(w, c0);
      d0 = y.fma(w, d0);
      w = FloatVector.broadcast(F, b[b1 + o]);
      c1 = x.fma(w, c1);
      d1 = y.fma(w, d1);
      w = FloatVector.broadcast(F, b[b2 + o]);
      c2 = x.fma(w, c2);
      d2 = y.fma(w, d2);
      w = FloatVector.broadcast(F, b[b3 + o]);
      c3 = x.fma(w, c3);
      d3 = y.fma(w, d3);
      w = FloatVector.broadcast(F, b[b4 + o]);
      c4 = x.fma(w, c4);
      d4 = y.fma(w, d4);
      w = FloatVector.broadcast(F, b[b5 + o]);
      c5 = x.fma(w, c5);
      d5 = y.fma(w, d5);
      w = FloatVector.broadcast(F, b[b6 + o]);
      c6 = x.fma(w, c6);
      d6 = y.fma(w, d6);
      w = FloatVector.broadcast(F, b[b7 + o]);
      c7 = x.fma(w, c7);
      d7 = y.fma(w, d7);
    }
    c0.intoArray(tile, 0);
    d0.intoArray(tile, L);
    c1.intoArray(tile, 2 * L);
    d1.intoArray(tile, 3 * L);
    c2.intoArray(tile, 4 * L);
    d2.intoArray(tile, 5 * L);
    c3.intoArray(tile, 6 * L);
    d3.intoArray(tile, 7 * L);
    c4.intoArray(tile, 8 * L);
    d4.intoArray(tile, 9 * L);
    c5.intoArray(tile, 10 * L);
    d5.intoArray(tile, 11 * L);
    c6.intoArray(tile, 12 * L);
    d6.intoArray(tile, 13 * L);
    c7.intoArray(tile, 14 * L);
    d7.intoArray(tile, 15 * L);
  }

  /**
   * {@link #merge} for a tile held column by column ({@code tile[col * 2L + row]}), with scalar
   * FMAs.
   */
  private static void mergeTransposed(
      float[] tile,
      float[] c,
      int co,
      int ldc,
      int rows,
      int cols,
      int mode,
      float alpha,
      float beta) {
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        float t = tile[col * 2 * L + r];
        int o = co + r * ldc + col;
        c[o] =
            switch (mode) {
              case SET -> t * alpha;
              case BLEND -> Math.fma(c[o], beta, t * alpha);
              default -> Math.fma(t, alpha, c[o]);
            };
      }
    }
  }

  /** {@code op(B)} as a row-major {@code k x stride} copy, columns past {@code n} zero. */
  private float[] transposedCopy(PackedGemm.View b, int n, int k, int stride) {
    int size = k * stride;
    if (bCopy.length < size) {
      bCopy = new float[size];
    }
    float[] dst = bCopy;
    float[] src = b.data();
    for (int p = 0; p < k; p++) {
      int s = b.offset() + p * b.rowStride();
      int d = p * stride;
      for (int j = 0; j < n; j++) {
        dst[d + j] = src[s + j * b.colStride()];
      }
      Arrays.fill(dst, d + n, d + stride, 0f);
    }
    return dst;
  }

  /**
   * Rows {@code i0 .. i0+ROWS} of {@code op(A)} over the depth block {@code [pc, pc+kc)} times the
   * {@code cols} columns of {@code op(B)} at {@code b[bo + p * bs ..]}: {@code tile[r * L + col]},
   * one FMA chain per element.
   */
  private static void kernel(
      PackedGemm.View a,
      int i0,
      int m,
      int pc,
      int kc,
      float[] b,
      int bo,
      int bs,
      int cols,
      float[] tile) {
    float[] av = a.data();
    int rs = a.rowStride();
    int as = a.colStride();
    int base = a.offset() + pc * as;
    int a0 = base + Math.min(i0, m - 1) * rs;
    int a1 = base + Math.min(i0 + 1, m - 1) * rs;
    int a2 = base + Math.min(i0 + 2, m - 1) * rs;
    int a3 = base + Math.min(i0 + 3, m - 1) * rs;
    int a4 = base + Math.min(i0 + 4, m - 1) * rs;
    int a5 = base + Math.min(i0 + 5, m - 1) * rs;
    int a6 = base + Math.min(i0 + 6, m - 1) * rs;
    int a7 = base + Math.min(i0 + 7, m - 1) * rs;
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
    FloatVector c4 = FloatVector.zero(F), c5 = FloatVector.zero(F);
    FloatVector c6 = FloatVector.zero(F), c7 = FloatVector.zero(F);
    VectorMask<Float> mask = F.indexInRange(0, cols);
    boolean full = cols == L;
    for (int p = 0; p < kc; p++) {
      int bp = bo + p * bs;
      FloatVector y =
          full ? FloatVector.fromArray(F, b, bp) : FloatVector.fromArray(F, b, bp, mask);
      int o = p * as;
      c0 = FloatVector.broadcast(F, av[a0 + o]).fma(y, c0);
      c1 = FloatVector.broadcast(F, av[a1 + o]).fma(y, c1);
      c2 = FloatVector.broadcast(F, av[a2 + o]).fma(y, c2);
      c3 = FloatVector.broadcast(F, av[a3 + o]).fma(y, c3);
      c4 = FloatVector.broadcast(F, av[a4 + o]).fma(y, c4);
      c5 = FloatVector.broadcast(F, av[a5 + o]).fma(y, c5);
      c6 = FloatVector.broadcast(F, av[a6 + o]).fma(y, c6);
      c7 = FloatVector.broadcast(F, av[a7 + o]).fma(y, c7);
    }
    c0.intoArray(tile, 0);
    c1.intoArray(tile, L);
    c2.intoArray(tile, 2 * L);
    c3.intoArray(tile, 3 * L);
    c4.intoArray(tile, 4 * L);
    c5.intoArray(tile, 5 * L);
    c6.intoArray(tile, 6 * L);
    c7.intoArray(tile, 7 * L);
  }

  /**
   * The first {@code rows x cols} of {@code tile} into C (row stride {@code ldc}) with {@link
   * PackedGemm}'s merge arithmetic: SET {@code alpha t}; BLEND {@code alpha t + beta old}; ADD
   * {@code alpha t + old}, one rounding.
   */
  private static void merge(
      float[] tile,
      float[] c,
      int co,
      int ldc,
      int rows,
      int cols,
      int mode,
      float alpha,
      float beta) {
    FloatVector al = FloatVector.broadcast(F, alpha);
    FloatVector backend = FloatVector.broadcast(F, beta);
    if (cols == L) {
      for (int r = 0; r < rows; r++) {
        int o = co + r * ldc;
        FloatVector t = FloatVector.fromArray(F, tile, r * L);
        FloatVector result =
            switch (mode) {
              case SET -> t.mul(al);
              case BLEND -> FloatVector.fromArray(F, c, o).fma(backend, t.mul(al));
              default -> t.fma(al, FloatVector.fromArray(F, c, o));
            };
        result.intoArray(c, o);
      }
      return;
    }
    VectorMask<Float> mask = F.indexInRange(0, cols);
    for (int r = 0; r < rows; r++) {
      int o = co + r * ldc;
      FloatVector t = FloatVector.fromArray(F, tile, r * L);
      FloatVector result =
          switch (mode) {
            case SET -> t.mul(al);
            case BLEND -> FloatVector.fromArray(F, c, o, mask).fma(backend, t.mul(al));
            default -> t.fma(al, FloatVector.fromArray(F, c, o, mask));
          };
      result.intoArray(c, o, mask);
    }
  }
}
