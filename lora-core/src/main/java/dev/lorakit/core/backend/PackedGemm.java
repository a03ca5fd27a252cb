package dev.lorakit.core.backend;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C = alpha * op(A) op(B) + beta * C} for one row-major float matrix, the GotoBLAS/BLIS way.
 *
 * <p>The product is cut into blocks that fit the caches: a {@code KC x NC} panel of {@code op(B)}
 * (shared by all threads, copied once per block into {@link #bPanel}), an {@code MC x KC} block of
 * {@code op(A)} per task (in L2), and inside them {@code MR x NR} tiles of C that {@link #kernel}
 * keeps entirely in vector registers while it walks {@code KC} steps of rank-1 updates. Packing
 * copies each operand into the exact order the kernel reads it, which is what makes the three
 * layouts ({@code A B}, {@code A B^T}, {@code A^T B}) equally fast: only the packing loops differ.
 * Partial tiles at the edges are packed with zero padding and written back through masks.
 *
 * <p>B may be bfloat16 (frozen weights, possibly memory-mapped): packing widens it, exactly, into
 * the same float panels, so the kernel and every element's arithmetic are those of the float32
 * product of the widened values.
 *
 * <p>Determinism: every element of C is the same sum in the same order whatever the thread count:
 * for each depth block ({@link #depthBlock}) in turn, a register accumulation over that block's
 * {@code k} in ascending order, then one update of C. Threads only decide which tiles they compute,
 * never how.
 */
final class PackedGemm {

  private static final VectorSpecies<Float> F = VectorKernels.F;
  private static final int L = F.length();

  /**
   * Products with fewer rows than this stream B instead of packing it (see {@link #multiplyThin}).
   */
  static final int THIN_ROWS = 4;

  /**
   * Rows of the register tile. 12 x 2 vectors = 24 accumulators, leaving AVX-512 registers for B
   * and A.
   */
  static final int MR = 12;

  /** Columns of the register tile: two vectors. */
  static final int NR = 2 * L;

  /**
   * The deepest a depth block may be. Every depth block reads and writes all of C once more, so
   * deeper blocks save passes over C; the {@code KC x NR} sliver of packed B (96 KB with AVX-512)
   * then outgrows a 48 KB L1, but the kernel walks it front to back, which the prefetcher covers. A
   * product's depth is cut into equal blocks of at most this ({@link #depthBlock}): a block much
   * shorter than the others would cost a whole pass over C for little work. On Zen 5, 768 ran the
   * lm_head's {@code dX} (k = 32000) 13 % faster than blocks of 512, and blocks of 1024 slower
   * (docs/PERFORMANCE.md, "Known limits").
   */
  static final int KC = 768;

  /**
   * The depth of the blocks a product of depth {@code k} is cut into: equal blocks of at most
   * {@link #KC} (the last one shorter by less than the number of blocks). Every path of a product
   * (packed, thin, skinny) cuts a depth the same way, so a row of C has the same arithmetic
   * whichever path computes it.
   */
  static int depthBlock(int k) {
    return Math.ceilDiv(k, Math.ceilDiv(Math.max(k, 1), KC));
  }

  /**
   * Rows of a packed A block: {@code MC x KC} floats (540 KB at most) stay in L2 (1 MB per core on
   * Zen 5) beside the B sliver; 15 row panels measured best among 10 to 40 at a KC of 512.
   */
  static final int MC = 15 * MR;

  /** Columns of the shared packed B panel: {@code KC x NC} floats (8 MB with AVX-512). */
  static final int NC = 128 * NR;

  /**
   * Below this many multiply-adds (counting the tiles' padding) a block runs on the calling thread:
   * handing work to the pool and waiting for it costs some 10 microseconds, the time of a few
   * million multiply-adds.
   */
  private static final long SERIAL_WORK = 1 << 21;

  /** Below this many packed values, B's panel is packed on the calling thread. */
  private static final long SERIAL_PACK = 1 << 16;

  /**
   * Columns of a row-major A that one round of gathers packs: 4 x MR values, a whole number of
   * vectors.
   */
  private static final int GATHER_COLUMNS = 4;

  private static final int SET = 0;
  private static final int BLEND = 1;
  private static final int ADD = 2;

  /**
   * The gather offsets that pack a transposed B from {@link Workspace#wide}, whose rows are KC
   * apart.
   */
  private static final int[] WIDE_MAP = gatherMap(NR, NR, KC);

  /** The gather offsets that pack a transposed float B from L steps of NR rows copied to wide. */
  private static final int[] STEP_MAP = gatherMap(NR, NR, L);

  /**
   * Where the operand's element {@code (row, col)} of {@code op(X)} lives: {@code data[offset + row
   * * rowStride + col * colStride]}, or the same element of {@code bf16} (little-endian bfloat16, B
   * only) when that is not null. A stored matrix read as is has {@code colStride == 1}; read
   * transposed, {@code rowStride == 1}.
   */
  record View(float[] data, MemorySegment bf16, int offset, int rowStride, int colStride) {
    View(float[] data, int offset, int rowStride, int colStride) {
      this(data, null, offset, rowStride, colStride);
    }
  }

  /**
   * What one task needs of its own: an A block, a scratch tile for the edges, one packed sliver of
   * B (a thin product of bf16 weights packs its B a sliver at a time) and room to widen or stage NR
   * rows of a transposed B.
   */
  private record Workspace(float[] a, float[] tile, float[] b, float[] wide) {}

  private final Parallel par;

  /** Workspaces of finished tasks, reused by the next ones: no allocation per call once warm. */
  private final ConcurrentLinkedQueue<Workspace> spare = new ConcurrentLinkedQueue<>();

  private float[] bPanel = new float[0];

  PackedGemm(Parallel par) {
    this.par = par;
  }

  /**
   * {@code C[m x n] = alpha * A[m x k] B[k x n] + beta * C}, with A and B as views and C row-major
   * at {@code c[co ..]}. {@code beta == 0} ignores C's old contents. Used by one caller thread at a
   * time.
   */
  void multiply(View a, View b, float[] c, int co, int m, int n, int k, float alpha, float beta) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      VectorKernels.scale(beta, c, co, m * n);
      return;
    }
    if (m < THIN_ROWS) {
      multiplyThin(a, b, c, co, m, n, k, alpha, beta);
    } else if (n < NR && m >= NR && b.bf16() == null) {
      // A narrow C (a LoRA rank's worth of columns) would fill a fraction of each tile's NR
      // columns; its
      // transpose C^T = B^T A^T fills MR rows instead. Each element is still the same sum in the
      // same order.
      multiply(transpose(b), transpose(a), c, co, n, m, k, 1, n, alpha, beta);
    } else {
      multiply(a, b, c, co, m, n, k, n, 1, alpha, beta);
    }
  }

  private static View transpose(View v) {
    return new View(v.data(), v.bf16(), v.offset(), v.colStride(), v.rowStride());
  }

  /** The product with C's element {@code (i, j)} at {@code c[co + i * cRow + j * cCol]}. */
  private void multiply(
      View a,
      View b,
      float[] c,
      int co,
      int m,
      int n,
      int k,
      int cRow,
      int cCol,
      float alpha,
      float beta) {
    boolean serial = par.threads() == 1;
    int[] aMap = a.colStride() == 1 ? gatherMap(GATHER_COLUMNS * MR, MR, a.rowStride()) : null;
    int[] bMap = b.rowStride() == 1 && b.bf16() == null ? gatherMap(NR, NR, b.colStride()) : null;
    int kb = depthBlock(k);
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      int nPanels = Math.ceilDiv(nc, NR);
      for (int pc = 0; pc < k; pc += kb) {
        int kc = Math.min(kb, k - pc);
        int mode = pc > 0 ? ADD : beta == 0f ? SET : BLEND;
        float[] bp = panel(nPanels * NR * kc);
        int j0 = jc;
        int p0 = pc;
        Parallel.Range packB =
            (from, to) -> {
              Workspace ws = workspace();
              packB(b, bMap, p0, kc, j0, n, from, to, 0, bp, ws.wide);
              spare.offer(ws);
            };
        if (serial || (long) nPanels * NR * kc < SERIAL_PACK) {
          packB.run(0, nPanels);
        } else {
          par.forRange(nPanels, 4, packB);
        }
        computeBlock(
            a, aMap, bp, c, co, cRow, cCol, m, n, jc, nc, pc, kc, mode, alpha, beta, serial);
      }
    }
  }

  /**
   * All of C's columns {@code [jc, jc+nc)} for one depth block: tasks of at most MC rows (and, when
   * there are too few rows to keep every thread busy, also of a share of the column panels), each
   * packing its own A block.
   */
  private void computeBlock(
      View a,
      int[] aMap,
      float[] bp,
      float[] c,
      int co,
      int cRow,
      int cCol,
      int m,
      int n,
      int jc,
      int nc,
      int pc,
      int kc,
      int mode,
      float alpha,
      float beta,
      boolean serial) {
    int mPanels = Math.ceilDiv(m, MR);
    int nPanels = Math.ceilDiv(nc, NR);
    serial |= (long) roundUp(m, MR) * nPanels * NR * kc < SERIAL_WORK;
    int threads = serial ? 1 : par.threads();
    // Row blocks of at most MC rows, as many as a multiple of the thread count, with the row panels
    // dealt out evenly (no short last block) so that the threads' shares are even.
    int rowBlocks = Math.min(mPanels, roundUp(Math.ceilDiv(mPanels * MR, MC), threads));
    int colGroups =
        rowBlocks >= 2 * threads || serial
            ? 1
            : Math.min(nPanels, Math.ceilDiv(2 * threads, rowBlocks));
    int tasks = rowBlocks * colGroups;
    Parallel.Range body =
        (from, to) -> {
          Workspace ws = workspace();
          int packed = -1;
          for (int t = from; t < to; t++) {
            int block = t / colGroups;
            int group = t % colGroups;
            int i0 = (int) ((long) mPanels * block / rowBlocks) * MR;
            int rows = Math.min((int) ((long) mPanels * (block + 1) / rowBlocks) * MR, m) - i0;
            if (block != packed) {
              packA(a, aMap, i0, rows, pc, kc, ws.a);
              packed = block;
            }
            int q0 = (int) ((long) nPanels * group / colGroups);
            int q1 = (int) ((long) nPanels * (group + 1) / colGroups);
            for (int q = q0; q < q1; q++) {
              int j = jc + q * NR;
              int cols = Math.min(NR, n - j);
              for (int ir = 0; ir < rows; ir += MR) {
                kernel(ws.a, ir * kc, bp, q * NR * kc, kc, ws.tile);
                merge(
                    ws.tile,
                    c,
                    co + (i0 + ir) * cRow + j * cCol,
                    cRow,
                    cCol,
                    Math.min(MR, rows - ir),
                    cols,
                    mode,
                    alpha,
                    beta);
              }
            }
          }
          spare.offer(ws);
        };
    if (serial || tasks == 1) {
      body.run(0, tasks);
    } else {
      par.forRange(tasks, 1, body);
    }
  }

  private Workspace workspace() {
    Workspace ws = spare.poll();
    return ws != null
        ? ws
        : new Workspace(
            new float[MC * KC], new float[MR * NR], new float[NR * KC], new float[NR * KC]);
  }

  /**
   * A product of fewer than {@link #THIN_ROWS} rows (a decoding step: one token per sequence).
   * Packing would copy all of B to use it once or twice; instead each row streams B, NR columns at
   * a time, with the kernel's arithmetic exactly: per element one FMA chain over each depth block
   * in ascending k, then the same merge. So a row of C comes out bit for bit the same whether it is
   * computed alone or in a tall product. A bf16 B is the exception to streaming: each sliver is
   * widened and packed as for a tall product (into the task's own buffer), then streamed from
   * there.
   */
  private void multiplyThin(
      View a, View b, float[] c, int co, int m, int n, int k, float alpha, float beta) {
    int panels = Math.ceilDiv(n, NR);
    boolean bf16 = b.bf16() != null;
    int[] bMap = b.colStride() != 1 && !bf16 ? gatherMap(NR, NR, b.colStride()) : null;
    int kb = depthBlock(k);
    Parallel.Range body =
        (from, to) -> {
          Workspace ws = workspace();
          View packed = new View(ws.b, 0, NR, 1);
          for (int q = from; q < to; q++) {
            int j = q * NR;
            int width = Math.min(NR, n - j);
            for (int pc = 0; pc < k; pc += kb) {
              int kc = Math.min(kb, k - pc);
              int mode = pc > 0 ? ADD : beta == 0f ? SET : BLEND;
              if (bf16) {
                packB(b, null, pc, kc, 0, n, q, q + 1, q, ws.b, ws.wide);
              }
              for (int i = 0; i < m; i++) {
                if (bf16) {
                  thinKernel(a, i, pc, kc, packed, null, 0, 0, width, ws.tile);
                } else {
                  thinKernel(a, i, pc, kc, b, bMap, pc, j, width, ws.tile);
                }
                merge(ws.tile, c, co + i * n + j, n, 1, 1, width, mode, alpha, beta);
              }
            }
          }
          spare.offer(ws);
        };
    if (par.threads() == 1 || (long) m * panels * NR * k < SERIAL_WORK) {
      body.run(0, panels);
    } else {
      par.forRange(panels, 1, body);
    }
  }

  /**
   * Row {@code i} of {@code op(A)} times columns {@code j .. j+width} of {@code op(B)} over the
   * depth block {@code [pc, pc+kc)} of A, whose rows start at row {@code bRow} of {@code op(B)},
   * into {@code tile[0 .. NR)}: the kernel's FMA chain for a single row, reading B where it lies.
   */
  private static void thinKernel(
      View a, int i, int pc, int kc, View b, int[] bMap, int bRow, int j, int width, float[] tile) {
    float[] av = a.data();
    float[] bv = b.data();
    int ao = a.offset() + i * a.rowStride() + pc * a.colStride();
    int as = a.colStride();
    int bo = b.offset() + bRow * b.rowStride() + j * b.colStride();
    int bs = b.rowStride();
    FloatVector acc0 = FloatVector.zero(F);
    FloatVector acc1 = FloatVector.zero(F);
    if (bMap == null && width == NR) {
      for (int p = 0; p < kc; p++) {
        FloatVector x = FloatVector.broadcast(F, av[ao + p * as]);
        acc0 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs), acc0);
        acc1 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs + L), acc1);
      }
    } else if (bMap == null) {
      VectorMask<Float> lo = F.indexInRange(0, width);
      VectorMask<Float> hi = F.indexInRange(L, width);
      for (int p = 0; p < kc; p++) {
        FloatVector x = FloatVector.broadcast(F, av[ao + p * as]);
        acc0 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs, lo), acc0);
        acc1 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs + L, hi), acc1);
      }
    } else if (width == NR) {
      // op(B) = B^T: gather one value from each of NR stored rows per step.
      for (int p = 0; p < kc; p++) {
        FloatVector x = FloatVector.broadcast(F, av[ao + p * as]);
        acc0 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs, bMap, 0), acc0);
        acc1 = x.fma(FloatVector.fromArray(F, bv, bo + p * bs, bMap, L), acc1);
      }
    } else {
      // op(B) = B^T at the right edge (a masked gather still checks its idle lanes): the same chain
      // per lane.
      for (int col = 0; col < NR; col++) {
        float acc = 0f;
        for (int p = 0; col < width && p < kc; p++) {
          acc = Math.fma(av[ao + p * as], bv[bo + col * b.colStride() + p * bs], acc);
        }
        tile[col] = acc;
      }
      return;
    }
    acc0.intoArray(tile, 0);
    acc1.intoArray(tile, L);
  }

  private static int roundUp(int x, int multiple) {
    return Math.ceilDiv(x, multiple) * multiple;
  }

  /**
   * Offsets for gathering {@code size} values that sit {@code stride} apart in groups of {@code
   * group}: entry {@code i} is {@code (i % group) * stride + i / group}. Packing reads a strided
   * operand this way, a vector at a time, which keeps many cache-line loads in flight where a
   * scalar loop waits for one after another.
   */
  private static int[] gatherMap(int size, int group, int stride) {
    int[] map = new int[size];
    for (int i = 0; i < size; i++) {
      map[i] = (i % group) * stride + i / group;
    }
    return map;
  }

  private float[] panel(int size) {
    if (bPanel.length < size) {
      bPanel = new float[size];
    }
    return bPanel;
  }

  /**
   * Copies {@code op(A)[i0 .. i0+rows) x [p0 .. p0+kc)} into {@code dst} as row panels of MR: panel
   * {@code r / MR} holds, for each {@code p}, the MR values of column {@code p} (rows past the end
   * are zero).
   */
  private static void packA(View a, int[] map, int i0, int rows, int p0, int kc, float[] dst) {
    float[] src = a.data();
    int rs = a.rowStride();
    int cs = a.colStride();
    if (rs == 1) {
      // op(A) = A^T: stored row p holds column p of op(A). Walk it once, front to back, handing MR
      // values
      // to each panel: a panel-by-panel walk would revisit every row once per panel, and rows whose
      // length is a multiple of 1 KB share a few L1 sets, so those revisits miss.
      for (int p = 0; p < kc; p++) {
        int s = a.offset() + (p0 + p) * cs + i0;
        for (int ir = 0; ir < rows; ir += MR) {
          int height = Math.min(MR, rows - ir);
          int d = ir * kc + p * MR;
          if (L >= MR && height == MR && p + 1 < kc && s + ir + L <= src.length) {
            // A whole vector, unmasked: its lanes past MR land on step p + 1's slots of the same
            // panel, which the next p overwrites (masked loads and stores cost more here than the
            // copy itself).
            FloatVector.fromArray(F, src, s + ir).intoArray(dst, d);
            continue;
          }
          for (int v = 0; v < MR; v += L) {
            FloatVector.fromArray(F, src, s + ir + v, F.indexInRange(v, height))
                .intoArray(dst, d + v, F.indexInRange(v, MR));
          }
        }
      }
      return;
    }
    for (int ir = 0; ir < rows; ir += MR) {
      int base = ir * kc;
      int height = Math.min(MR, rows - ir);
      int p = 0;
      int s = a.offset() + (i0 + ir) * rs + p0 * cs;
      if (map != null && height == MR) {
        // op(A) = A: GATHER_COLUMNS columns of the MR rows at a time, gathered straight into panel
        // order.
        for (; p + GATHER_COLUMNS <= kc; p += GATHER_COLUMNS) {
          int d = base + p * MR;
          for (int v = 0; v < GATHER_COLUMNS * MR; v += L) {
            FloatVector.fromArray(F, src, s + p, map, v).intoArray(dst, d + v);
          }
        }
      }
      for (; p < kc; p++) {
        int d = base + p * MR;
        for (int r = 0; r < MR; r++) {
          dst[d + r] = r < height ? src[s + r * rs + p * cs] : 0f;
        }
      }
    }
  }

  /**
   * Copies {@code op(B)[p0 .. p0+kc)} of the column panels {@code q0 .. q1-1} (panel q holds
   * columns {@code j0 + q NR ..}, none at or past {@code n}) into {@code dst}: panel q at {@code (q
   * - dq) NR kc}, for each {@code p} its NR values of row {@code p}, zero past {@code n}. A bf16 B
   * is widened on the way ({@code wide}: NR x KC floats of scratch for a transposed B).
   */
  private static void packB(
      View b,
      int[] map,
      int p0,
      int kc,
      int j0,
      int n,
      int q0,
      int q1,
      int dq,
      float[] dst,
      float[] wide) {
    if (b.bf16() != null) {
      packBf16(b, p0, kc, j0, n, q0, q1, dq, dst, wide);
      return;
    }
    float[] src = b.data();
    int rs = b.rowStride();
    int cs = b.colStride();
    if (cs == 1) {
      // op(B) = B: walk each stored row once across all the panels, two vectors per panel (see
      // packA).
      for (int p = 0; p < kc; p++) {
        int s = b.offset() + (p0 + p) * rs + j0;
        for (int q = q0; q < q1; q++) {
          int width = Math.min(NR, n - j0 - q * NR);
          int o = (q - dq) * NR * kc + p * NR;
          int at = s + q * NR;
          if (width == NR) {
            FloatVector.fromArray(F, src, at).intoArray(dst, o);
            FloatVector.fromArray(F, src, at + L).intoArray(dst, o + L);
          } else {
            FloatVector.fromArray(F, src, at, F.indexInRange(0, width)).intoArray(dst, o);
            FloatVector.fromArray(F, src, at + L, F.indexInRange(L, width)).intoArray(dst, o + L);
          }
        }
      }
      return;
    }
    // op(B) = B^T: each column of op(B) is a stored row; gather one value from each of NR rows per
    // step.
    for (int q = q0; q < q1; q++) {
      int width = Math.min(NR, n - j0 - q * NR);
      int d = (q - dq) * NR * kc;
      int s = b.offset() + (j0 + q * NR) * cs + p0 * rs;
      if (width == NR) {
        // L steps at a time: copy the next L values (a cache line's worth) of the NR stored rows
        // into wide, then gather panel order from there. Gathering straight from the rows would
        // touch NR lines per vector, which for a row length of a multiple of 1 KB all fall into one
        // L1 set and evict one another before the next step reads them again.
        int p = 0;
        for (; p + L <= kc; p += L) {
          for (int col = 0; col < NR; col++) {
            FloatVector.fromArray(F, src, s + col * cs + p).intoArray(wide, col * L);
          }
          for (int v = 0; v < L; v++) {
            int o = d + (p + v) * NR;
            FloatVector.fromArray(F, wide, v, STEP_MAP, 0).intoArray(dst, o);
            FloatVector.fromArray(F, wide, v, STEP_MAP, L).intoArray(dst, o + L);
          }
        }
        for (; p < kc; p++) {
          int o = d + p * NR;
          FloatVector.fromArray(F, src, s + p * rs, map, 0).intoArray(dst, o);
          FloatVector.fromArray(F, src, s + p * rs, map, L).intoArray(dst, o + L);
        }
        continue;
      }
      for (int p = 0; p < kc; p++) {
        for (int col = 0; col < NR; col++) {
          dst[d + p * NR + col] = col < width ? src[s + col * cs + p * rs] : 0f;
        }
      }
    }
  }

  /**
   * {@link #packB} for a bf16 B. Stored as is ({@code op(B) = B}), each stored row is widened
   * straight into the panels. Transposed (a weight {@code W [n, k]} in {@code x W^T}), a panel's NR
   * stored rows are first widened, front to back, into {@code wide} (rows KC apart), then gathered
   * from there into panel order as a float B is.
   */
  private static void packBf16(
      View b, int p0, int kc, int j0, int n, int q0, int q1, int dq, float[] dst, float[] wide) {
    MemorySegment src = b.bf16();
    long rs = b.rowStride();
    long cs = b.colStride();
    if (cs == 1) {
      for (int p = 0; p < kc; p++) {
        long s = b.offset() + (p0 + p) * rs + j0;
        for (int q = q0; q < q1; q++) {
          int width = Math.min(NR, n - j0 - q * NR);
          int o = (q - dq) * NR * kc + p * NR;
          long at = s + (long) q * NR;
          if (width == NR) {
            Bf16Lanes.load(src, at).intoArray(dst, o);
            Bf16Lanes.load(src, at + L).intoArray(dst, o + L);
          } else {
            Bf16Lanes.load(src, at, Math.min(width, L)).intoArray(dst, o);
            Bf16Lanes.load(src, at + L, Math.max(width - L, 0)).intoArray(dst, o + L);
          }
        }
      }
      return;
    }
    for (int q = q0; q < q1; q++) {
      int width = Math.min(NR, n - j0 - q * NR);
      int d = (q - dq) * NR * kc;
      long s = b.offset() + (j0 + (long) q * NR) * cs + p0 * rs;
      for (int col = 0; col < width; col++) {
        Bf16Lanes.widen(src, s + col * cs, wide, col * KC, kc);
      }
      if (width == NR) {
        for (int p = 0; p < kc; p++) {
          int o = d + p * NR;
          FloatVector.fromArray(F, wide, p, WIDE_MAP, 0).intoArray(dst, o);
          FloatVector.fromArray(F, wide, p, WIDE_MAP, L).intoArray(dst, o + L);
        }
        continue;
      }
      for (int p = 0; p < kc; p++) {
        for (int col = 0; col < NR; col++) {
          dst[d + p * NR + col] = col < width ? wide[col * KC + p] : 0f;
        }
      }
    }
  }

  /**
   * One MR x NR tile: {@code tile = sum_p A[:, p] (x) B[p, :]} over the packed slivers at {@code
   * a[ao ..]} and {@code b[bo ..]}, accumulated in registers. The merge into C is a separate method
   * on purpose: inlined here, it pushes the kernel past C2's inlining budget, and the accumulators
   * would then live on the heap.
   */
  private static void kernel(float[] a, int ao, float[] b, int bo, int kc, float[] tile) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
    FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
    FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
    FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
    FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
    FloatVector ca0 = FloatVector.zero(F), ca1 = FloatVector.zero(F);
    FloatVector cb0 = FloatVector.zero(F), cb1 = FloatVector.zero(F);
    for (int p = 0; p < kc; p++) {
      int ap = ao + p * MR;
      int bp = bo + p * NR;
      FloatVector b0 = FloatVector.fromArray(F, b, bp);
      FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
      FloatVector x = FloatVector.broadcast(F, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(F, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(F, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(F, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(F, a[ap + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(F, a[ap + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(F, a[ap + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(F, a[ap + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
      x = FloatVector.broadcast(F, a[ap + 8]);
      c80 = x.fma(b0, c80);
      c81 = x.fma(b1, c81);
      x = FloatVector.broadcast(F, a[ap + 9]);
      c90 = x.fma(b0, c90);
      c91 = x.fma(b1, c91);
      x = FloatVector.broadcast(F, a[ap + 10]);
      ca0 = x.fma(b0, ca0);
      ca1 = x.fma(b1, ca1);
      x = FloatVector.broadcast(F, a[ap + 11]);
      cb0 = x.fma(b0, cb0);
      cb1 = x.fma(b1, cb1);
    }
    c00.intoArray(tile, 0 * L);
    c01.intoArray(tile, 1 * L);
    c10.intoArray(tile, 2 * L);
    c11.intoArray(tile, 3 * L);
    c20.intoArray(tile, 4 * L);
    c21.intoArray(tile, 5 * L);
    c30.intoArray(tile, 6 * L);
    c31.intoArray(tile, 7 * L);
    c40.intoArray(tile, 8 * L);
    c41.intoArray(tile, 9 * L);
    c50.intoArray(tile, 10 * L);
    c51.intoArray(tile, 11 * L);
    c60.intoArray(tile, 12 * L);
    c61.intoArray(tile, 13 * L);
    c70.intoArray(tile, 14 * L);
    c71.intoArray(tile, 15 * L);
    c80.intoArray(tile, 16 * L);
    c81.intoArray(tile, 17 * L);
    c90.intoArray(tile, 18 * L);
    c91.intoArray(tile, 19 * L);
    ca0.intoArray(tile, 20 * L);
    ca1.intoArray(tile, 21 * L);
    cb0.intoArray(tile, 22 * L);
    cb1.intoArray(tile, 23 * L);
  }

  /**
   * Merges the top-left {@code rows x cols} of {@code tile} into C, whose element {@code (r, col)}
   * of this tile is at {@code c[co + r * cRow + col * cCol]}: SET {@code alpha t}; BLEND {@code
   * alpha t + beta old}; ADD {@code alpha t + old} with one rounding. Edge tiles go through masks,
   * and a transposed C through scalar {@link Math#fma}, with the same arithmetic lane for lane, so
   * an element's value does not depend on its tile.
   */
  private static void merge(
      float[] tile,
      float[] c,
      int co,
      int cRow,
      int cCol,
      int rows,
      int cols,
      int mode,
      float alpha,
      float beta) {
    if (cCol != 1) {
      mergeStrided(tile, c, co, cRow, cCol, rows, cols, mode, alpha, beta);
      return;
    }
    int ldc = cRow;
    FloatVector al = FloatVector.broadcast(F, alpha);
    FloatVector backend = FloatVector.broadcast(F, beta);
    if (cols == NR) {
      for (int r = 0; r < rows; r++) {
        for (int v = 0; v < NR; v += L) {
          int o = co + r * ldc + v;
          FloatVector t = FloatVector.fromArray(F, tile, r * NR + v);
          FloatVector result =
              switch (mode) {
                case SET -> t.mul(al);
                case BLEND -> FloatVector.fromArray(F, c, o).fma(backend, t.mul(al));
                default -> t.fma(al, FloatVector.fromArray(F, c, o));
              };
          result.intoArray(c, o);
        }
      }
      return;
    }
    for (int r = 0; r < rows; r++) {
      for (int v = 0; v < NR; v += L) {
        VectorMask<Float> mask = F.indexInRange(v, cols);
        int o = co + r * ldc + v;
        FloatVector t = FloatVector.fromArray(F, tile, r * NR + v);
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

  private static void mergeStrided(
      float[] tile,
      float[] c,
      int co,
      int cRow,
      int cCol,
      int rows,
      int cols,
      int mode,
      float alpha,
      float beta) {
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        float t = tile[r * NR + col];
        int o = co + r * cRow + col * cCol;
        c[o] =
            switch (mode) {
              case SET -> t * alpha;
              case BLEND -> Math.fma(c[o], beta, t * alpha);
              default -> Math.fma(t, alpha, c[o]);
            };
      }
    }
  }
}
