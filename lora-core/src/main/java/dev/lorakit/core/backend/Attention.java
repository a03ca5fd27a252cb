package dev.lorakit.core.backend;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention with an optional sliding window. No {@code [seq, seq]} matrix is
 * ever stored: the forward keeps only each query's log-sum-exp, the backward recomputes the
 * probabilities from it, as flash attention does.
 *
 * <p>The forward's arithmetic is that of one query at a time: a dot product per key, one vectorised
 * pass for the row's exponentials ({@link VectorKernels#expShifted}: within 1.5 ulps, summed in
 * double by blocks), then the values weighted by the normalised probabilities. A decoding step runs
 * it so; a sequence runs it in tiles that reproduce it to the bit ({@link #forward}). So a query's
 * result is the same whether it comes alone or with its whole sequence.
 *
 * <p>The backward works in tiles that stay in the caches. A task owns one kv head of one batch row;
 * for each tile of {@link #KB} keys it copies the keys and values once, transposed (the keys also
 * scaled by {@code 1/sqrt(d)}), and every query of the heads that read that kv head meets the tile
 * in blocks of {@link #QB}: {@code S = Q K^T}, {@code dP = dO V^T}, {@code dV += P^T dO}, {@code dK
 * += dS^T Q} and {@code dQ += dS K} are small matrix products through one register-tiled {@link
 * #product} kernel. A tile's dK and dV accumulate over all its queries in two small arrays and are
 * added into dk and dv once.
 */
final class Attention {

  private static final VectorSpecies<Float> F = VectorKernels.F;
  private static final int L = F.length();

  /**
   * Keys per tile. Its transposed copies ({@code d x KB} floats: 32 KB at head width 128) stay in
   * L1 or L2 while every query block of the group's heads is multiplied by them; a block's scores
   * ({@code QB x KB}) take 8 KB.
   */
  static final int KB = 64;

  /**
   * Queries per block: each product then has 32 rows, enough for its 4-row tiles to run at full
   * width.
   */
  static final int QB = 32;

  /** Rows of the product's register tile: 4 rows x 2 vectors = 8 independent FMA chains. */
  private static final int ROWS = 4;

  private Attention() {}

  /** The first key query position {@code pos} may see. */
  static int firstKey(int pos, int window) {
    return window > 0 ? Math.max(0, pos - window + 1) : 0;
  }

  /** One past the last query that sees any of the keys {@code [j0, j0 + keys)}. */
  private static int queriesEnd(int j0, int keys, int window, int n) {
    return window > 0 ? Math.min(n, j0 + keys - 1 + window) : n;
  }

  /**
   * One query at a time: its scores as {@link VectorKernels#dot dot products} (lane-wise FMA chains
   * over the head width, then the lanes' fixed tree), the row's exponentials, then the values
   * weighted by the normalised probabilities, one axpy per key.
   */
  static void forwardByQuery(
      Parallel par,
      float[] q,
      float[] k,
      float[] v,
      float[] out,
      float[] lse,
      int batch,
      int n,
      int capacity,
      int heads,
      int kvHeads,
      int d,
      int position,
      int kvLength,
      int window) {
    int group = heads / kvHeads;
    int qRow = heads * d;
    int kvRow = kvHeads * d;
    float scale = (float) (1.0 / Math.sqrt(d));
    par.forRange(
        batch * heads,
        1,
        (from, to) -> {
          float[] w = new float[kvLength];
          for (int task = from; task < to; task++) {
            int b = task / heads;
            int h = task % heads;
            int kvh = h / group;
            for (int t = 0; t < n; t++) {
              int pos = position + t;
              int lo = firstKey(pos, window);
              int hi = Math.min(pos, kvLength - 1);
              int qo = (b * n + t) * qRow + h * d;
              for (int j = lo; j <= hi; j++) {
                w[j] = scale * VectorKernels.dot(q, qo, k, (b * capacity + j) * kvRow + kvh * d, d);
              }
              float max = VectorKernels.max(w, lo, hi - lo + 1);
              double sum = VectorKernels.expShifted(w, lo, hi - lo + 1, max, w, lo);
              Arrays.fill(out, qo, qo + d, 0f);
              for (int j = lo; j <= hi; j++) {
                VectorKernels.axpy(
                    (float) (w[j] / sum), v, (b * capacity + j) * kvRow + kvh * d, out, qo, d);
              }
              if (lse != null) {
                lse[(b * heads + h) * n + t] = (float) (max + Math.log(sum));
              }
            }
          }
        });
  }

  /**
   * Fills {@code out} (and {@code lse} when not null) for {@code n} queries at positions {@code
   * position ...} against the first {@code kvLength} keys of a cache of {@code capacity} rows, with
   * {@link #forwardByQuery}'s arithmetic to the bit. Fewer than {@link #ROWS} queries (a decoding
   * step) run query by query: transposing a key tile for one query costs more than it saves. More
   * run in tiles. A task owns one block of {@link #QB} queries of one kv head of one batch row, for
   * every query head that reads that kv head. Each tile of {@link #KB} keys is copied once,
   * transposed, and the block's scores against it come out of {@link #product} as {@code dot}
   * computes them: lane {@code l} of {@code dot}'s accumulator is an FMA chain over the head-width
   * positions {@code c L + l}, which is a product of depth {@code d / L} reading the queries and
   * the transposed keys at a stride of {@code L}; the {@code L} such products are then added in
   * {@code sumLanes}' tree and the positions past the last whole vector added one by one, rounded
   * as {@code dot} rounds them. With the block's whole rows of scores in hand, each row takes
   * {@code expShifted} as before and is normalised in place, and {@code P V} is one more product
   * whose elements are the per-query axpys' FMA chains in the same order (the probabilities outside
   * a query's keys are zeros, which add nothing).
   */
  static void forward(
      Parallel par,
      float[] q,
      float[] k,
      float[] v,
      float[] out,
      float[] lse,
      int batch,
      int n,
      int capacity,
      int heads,
      int kvHeads,
      int d,
      int position,
      int kvLength,
      int window) {
    if (n < ROWS) {
      forwardByQuery(
          par, q, k, v, out, lse, batch, n, capacity, heads, kvHeads, d, position, kvLength,
          window);
      return;
    }
    int group = heads / kvHeads;
    int qRow = heads * d;
    int kvRow = kvHeads * d;
    float scale = (float) (1.0 / Math.sqrt(d));
    int blocks = Math.ceilDiv(n, QB);
    int span = Math.min(kvLength, window > 0 ? window + QB - 1 : kvLength);
    par.forRange(
        batch * kvHeads * blocks,
        1,
        (from, to) -> {
          float[] kt = new float[d * KB];
          float[] lanes = new float[L * ROWS * KB];
          float[] s = new float[group * QB * span];
          for (int task = from; task < to; task++) {
            int b = task / (kvHeads * blocks);
            int kvh = task / blocks % kvHeads;
            int t0 = task % blocks * QB;
            int rows = Math.min(QB, n - t0);
            int keysLo = firstKey(position + t0, window);
            int keysHi = Math.min(position + t0 + rows - 1, kvLength - 1);
            int width = keysHi - keysLo + 1;
            int kvBase = b * capacity * kvRow + kvh * d;
            for (int j0 = keysLo; j0 <= keysHi; j0 += KB) {
              int keys = Math.min(KB, keysHi - j0 + 1);
              transpose(k, kvBase + j0 * kvRow, kvRow, keys, d, 1f, kt);
              for (int hl = 0; hl < group; hl++) {
                int qo = (b * n + t0) * qRow + (kvh * group + hl) * d;
                for (int r0 = 0; r0 < rows; r0 += ROWS) {
                  int rr = Math.min(ROWS, rows - r0);
                  scores(q, qo + r0 * qRow, qRow, kt, d, lanes, rr);
                  int so = (hl * QB + r0) * width + j0 - keysLo;
                  for (int r = 0; r < rr; r++) {
                    for (int j = 0; j < keys; j++) {
                      s[so + r * width + j] = scale * lanes[r * KB + j];
                    }
                  }
                }
              }
            }
            for (int hl = 0; hl < group; hl++) {
              int h = kvh * group + hl;
              for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                int pos = position + t;
                int lo = firstKey(pos, window) - keysLo;
                int hi = Math.min(pos, kvLength - 1) - keysLo;
                int so = (hl * QB + r) * width;
                float max = VectorKernels.max(s, so + lo, hi - lo + 1);
                double sum = VectorKernels.expShifted(s, so + lo, hi - lo + 1, max, s, so + lo);
                for (int j = so + lo; j <= so + hi; j++) {
                  s[j] = (float) (s[j] / sum);
                }
                Arrays.fill(s, so, so + lo, 0f);
                Arrays.fill(s, so + hi + 1, so + width, 0f);
                if (lse != null) {
                  lse[(b * heads + h) * n + t] = (float) (max + Math.log(sum));
                }
              }
              product(
                  s,
                  hl * QB * width,
                  width,
                  1,
                  v,
                  kvBase + keysLo * kvRow,
                  kvRow,
                  out,
                  (b * n + t0) * qRow + h * d,
                  qRow,
                  rows,
                  d,
                  width,
                  false);
            }
          }
        });
  }

  /**
   * {@code lanes[r * KB + j]} = {@code VectorKernels.dot} of query row {@code r < rows} (at {@code
   * q[qo + r * qRow]}) and key {@code j} of the transposed tile {@code kt}, for all {@link #KB}
   * columns, in {@code dot}'s arithmetic. The rows of {@code lanes} past the first {@code ROWS *
   * KB} hold the other lanes' partial sums on the way.
   */
  private static void scores(
      float[] q, int qo, int qRow, float[] kt, int d, float[] lanes, int rows) {
    int chunks = d / L;
    int plane = ROWS * KB;
    if (chunks == 0) {
      Arrays.fill(lanes, 0, plane, 0f);
    } else {
      for (int l = 0; l < L; l++) {
        product(
            q, qo + l, qRow, L, kt, l * KB, L * KB, lanes, l * plane, KB, rows, KB, chunks, false);
      }
      // sumLanes' tree: lane i takes lane i + h for h = L/2, L/4, ..., 1.
      for (int h = L / 2; h >= 1; h /= 2) {
        for (int i = 0; i < h; i++) {
          addInto(lanes, i * plane, (i + h) * plane, rows * KB);
        }
      }
    }
    // dot's scalar tail: sum += a * b, the product rounded before the add.
    for (int c = chunks * L; c < d; c++) {
      for (int r = 0; r < rows; r++) {
        FloatVector x = FloatVector.broadcast(F, q[qo + r * qRow + c]);
        for (int j = 0; j < KB; j += L) {
          FloatVector.fromArray(F, lanes, r * KB + j)
              .add(x.mul(FloatVector.fromArray(F, kt, c * KB + j)))
              .intoArray(lanes, r * KB + j);
        }
      }
    }
  }

  /** {@code x[xo + i] += x[yo + i]} for {@code i < len} ({@code len} a multiple of {@code L}). */
  private static void addInto(float[] x, int xo, int yo, int len) {
    for (int i = 0; i < len; i += L) {
      FloatVector.fromArray(F, x, xo + i)
          .add(FloatVector.fromArray(F, x, yo + i))
          .intoArray(x, xo + i);
    }
  }

  /**
   * One task per (batch row, kv head): it owns that head's rows of dk and dv and the dq rows of the
   * query heads that read it, so no two tasks write the same element. Key tiles are the outer loop:
   * a tile's dK and dV accumulate in L1 over all the queries that see it, and are added into dk and
   * dv once.
   */
  static void backward(
      Parallel par,
      float[] dOut,
      float[] q,
      float[] k,
      float[] v,
      float[] out,
      float[] lse,
      float[] dq,
      float[] dk,
      float[] dv,
      int batch,
      int n,
      int heads,
      int kvHeads,
      int d,
      int window) {
    int group = heads / kvHeads;
    int qRow = heads * d;
    int kvRow = kvHeads * d;
    float scale = (float) (1.0 / Math.sqrt(d));
    par.forRange(
        batch * kvHeads,
        1,
        (from, to) -> {
          float[] kt = new float[d * KB];
          float[] vt = new float[d * KB];
          float[] ks = new float[KB * d];
          float[] p = new float[QB * KB];
          float[] ds = new float[QB * KB];
          float[] dK = new float[KB * d];
          float[] dV = new float[KB * d];
          float[] rowDot = new float[group * n];
          for (int task = from; task < to; task++) {
            int b = task / kvHeads;
            int kvh = task % kvHeads;
            int kvBase = b * n * kvRow + kvh * d;
            for (int hl = 0; hl < group; hl++) {
              for (int t = 0; t < n; t++) {
                int qo = (b * n + t) * qRow + (kvh * group + hl) * d;
                rowDot[hl * n + t] = VectorKernels.dot(dOut, qo, out, qo, d);
              }
            }
            for (int j0 = 0; j0 < n; j0 += KB) {
              int keys = Math.min(KB, n - j0);
              int ko = kvBase + j0 * kvRow;
              transpose(k, ko, kvRow, keys, d, scale, kt);
              transpose(v, ko, kvRow, keys, d, 1f, vt);
              for (int j = 0; j < keys; j++) {
                for (int i = 0; i < d; i++) {
                  ks[j * d + i] = scale * k[ko + j * kvRow + i];
                }
              }
              Arrays.fill(dK, 0f);
              Arrays.fill(dV, 0f);
              int tTo = queriesEnd(j0, keys, window, n);
              for (int hl = 0; hl < group; hl++) {
                int h = kvh * group + hl;
                for (int t0 = j0; t0 < tTo; t0 += QB) {
                  int rows = Math.min(QB, tTo - t0);
                  int qo = (b * n + t0) * qRow + h * d;
                  product(q, qo, qRow, 1, kt, 0, KB, p, 0, KB, rows, KB, d, false);
                  product(dOut, qo, qRow, 1, vt, 0, KB, ds, 0, KB, rows, KB, d, false);
                  for (int r = 0; r < rows; r++) {
                    int t = t0 + r;
                    int lo = Math.max(firstKey(t, window), j0) - j0;
                    int hi = Math.min(t, j0 + keys - 1) - j0;
                    int so = r * KB;
                    if (hi < lo) {
                      Arrays.fill(p, so, so + keys, 0f);
                      Arrays.fill(ds, so, so + keys, 0f);
                      continue;
                    }
                    VectorKernels.expShifted(
                        p, so + lo, hi - lo + 1, lse[(b * heads + h) * n + t], p, so + lo);
                    float dot = rowDot[hl * n + t];
                    for (int j = so + lo; j <= so + hi; j++) {
                      ds[j] = p[j] * (ds[j] - dot);
                    }
                    Arrays.fill(p, so, so + lo, 0f);
                    Arrays.fill(p, so + hi + 1, so + keys, 0f);
                    Arrays.fill(ds, so, so + lo, 0f);
                    Arrays.fill(ds, so + hi + 1, so + keys, 0f);
                  }
                  product(p, 0, 1, KB, dOut, qo, qRow, dV, 0, d, keys, d, rows, true);
                  product(ds, 0, 1, KB, q, qo, qRow, dK, 0, d, keys, d, rows, true);
                  product(ds, 0, KB, 1, ks, 0, d, dq, qo, qRow, rows, d, keys, true);
                }
              }
              for (int j = 0; j < keys; j++) {
                VectorKernels.axpy(1f, dV, j * d, dv, ko + j * kvRow, d);
                VectorKernels.axpy(scale, dK, j * d, dk, ko + j * kvRow, d);
              }
            }
          }
        });
  }

  /**
   * {@code t[i * KB + j] = s x[xo + j * stride + i]} for {@code j < keys}, {@code i < d}, and zeros
   * in the columns past {@code keys}: a tile of keys (or values), one per row at {@code stride}, as
   * {@code d} rows of {@link #KB} lanes.
   */
  private static void transpose(
      float[] x, int xo, int stride, int keys, int d, float s, float[] t) {
    for (int j = 0; j < keys; j++) {
      int o = xo + j * stride;
      for (int i = 0; i < d; i++) {
        t[i * KB + j] = s * x[o + i];
      }
    }
    if (keys < KB) {
      for (int i = 0; i < d; i++) {
        Arrays.fill(t, i * KB + keys, (i + 1) * KB, 0f);
      }
    }
  }

  /**
   * {@code C[r][j] (+)= sum_y A[r][y] B[y][j]} for {@code r < rows}, {@code j < cols}, {@code y <
   * depth}, with {@code A[r][y] = a[ao + r * aRow + y * aCol]} (so A may be read transposed),
   * {@code B[y][j] = b[bo + y * ldb + j]} and {@code C[r][j] = c[co + r * ldc + j]}. Each element
   * is one FMA chain over {@code y} in ascending order, from C's value when {@code add}, else from
   * zero, whatever tile it falls in.
   */
  static void product(
      float[] a,
      int ao,
      int aRow,
      int aCol,
      float[] b,
      int bo,
      int ldb,
      float[] c,
      int co,
      int ldc,
      int rows,
      int cols,
      int depth,
      boolean add) {
    int j = 0;
    for (; j + 2 * L <= cols; j += 2 * L) {
      int r = 0;
      for (; r + ROWS <= rows; r += ROWS) {
        tile4(a, ao + r * aRow, aRow, aCol, b, bo + j, ldb, c, co + r * ldc + j, ldc, depth, add);
      }
      for (; r < rows; r++) {
        tile1(a, ao + r * aRow, aCol, b, bo + j, ldb, c, co + r * ldc + j, depth, add);
      }
    }
    // Columns past the last whole pair of vectors (head widths that are not a multiple of 2 L), a
    // vector at a
    // time through masks: apart from the mask, the arithmetic of the tiles above.
    for (; j < cols; j += L) {
      VectorMask<Float> m = F.indexInRange(j, cols);
      for (int r = 0; r < rows; r++) {
        int ar = ao + r * aRow;
        int cr = co + r * ldc + j;
        FloatVector acc = add ? FloatVector.fromArray(F, c, cr, m) : FloatVector.zero(F);
        for (int y = 0; y < depth; y++) {
          acc =
              FloatVector.broadcast(F, a[ar + y * aCol])
                  .fma(FloatVector.fromArray(F, b, bo + j + y * ldb, m), acc);
        }
        acc.intoArray(c, cr, m);
      }
    }
  }

  /**
   * Four rows by two vectors of C: per step two vector loads of B, four broadcasts of A, eight
   * independent FMAs. Kept small and mask-free so that C2 compiles it on its own (C1 runs out of
   * registers on a larger one).
   */
  private static void tile4(
      float[] a,
      int ao,
      int aRow,
      int aCol,
      float[] b,
      int bo,
      int ldb,
      float[] c,
      int co,
      int ldc,
      int depth,
      boolean add) {
    FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
    if (add) {
      c00 = FloatVector.fromArray(F, c, co);
      c01 = FloatVector.fromArray(F, c, co + L);
      c10 = FloatVector.fromArray(F, c, co + ldc);
      c11 = FloatVector.fromArray(F, c, co + ldc + L);
      c20 = FloatVector.fromArray(F, c, co + 2 * ldc);
      c21 = FloatVector.fromArray(F, c, co + 2 * ldc + L);
      c30 = FloatVector.fromArray(F, c, co + 3 * ldc);
      c31 = FloatVector.fromArray(F, c, co + 3 * ldc + L);
    } else {
      c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
    }
    for (int y = 0; y < depth; y++) {
      int bp = bo + y * ldb;
      int ap = ao + y * aCol;
      FloatVector b0 = FloatVector.fromArray(F, b, bp);
      FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
      FloatVector x = FloatVector.broadcast(F, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(F, a[ap + aRow]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(F, a[ap + 2 * aRow]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(F, a[ap + 3 * aRow]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
    }
    c00.intoArray(c, co);
    c01.intoArray(c, co + L);
    c10.intoArray(c, co + ldc);
    c11.intoArray(c, co + ldc + L);
    c20.intoArray(c, co + 2 * ldc);
    c21.intoArray(c, co + 2 * ldc + L);
    c30.intoArray(c, co + 3 * ldc);
    c31.intoArray(c, co + 3 * ldc + L);
  }

  private static void tile1(
      float[] a,
      int ao,
      int aCol,
      float[] b,
      int bo,
      int ldb,
      float[] c,
      int co,
      int depth,
      boolean add) {
    FloatVector c0 = add ? FloatVector.fromArray(F, c, co) : FloatVector.zero(F);
    FloatVector c1 = add ? FloatVector.fromArray(F, c, co + L) : FloatVector.zero(F);
    for (int y = 0; y < depth; y++) {
      int bp = bo + y * ldb;
      FloatVector x = FloatVector.broadcast(F, a[ao + y * aCol]);
      c0 = x.fma(FloatVector.fromArray(F, b, bp), c0);
      c1 = x.fma(FloatVector.fromArray(F, b, bp + L), c1);
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + L);
  }
}
