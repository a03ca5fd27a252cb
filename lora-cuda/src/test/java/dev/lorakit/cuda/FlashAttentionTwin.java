package dev.lorakit.cuda;

/**
 * A plain-Java twin of {@code flash_attention.cu}: the same blocks (32 rows of 4 threads), the same
 * tiles, the same interleaved split of the head width, the same FMA chains and butterfly sums, the
 * same online-softmax recurrences and the same backward (D = rowsum(dO o O), dS = P (dP - D)),
 * executed block by block and thread by thread. It lets the CPU test the kernels' algorithm against
 * {@code CpuBackend}; the GPU parity test then holds the kernels to the CPU. Arrays are row-major
 * as the Backend lays them out.
 */
final class FlashAttentionTwin {

  private static final int ROWS = FlashAttention.ROWS;
  private static final int TPR = FlashAttention.THREADS_PER_ROW;

  private FlashAttentionTwin() {}

  private static boolean visible(int j, int pos, int kvLength, int window) {
    return j <= pos && j < kvLength && (window <= 0 || pos - window < j);
  }

  /** The two shuffles of {@code fa_quad_sum}: every lane ends with ((p0+p1)+(p2+p3)). */
  private static float quadSum(float[] partials) {
    return (partials[0] + partials[1]) + (partials[2] + partials[3]);
  }

  static void forward(
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
    int cap = FlashAttention.cap(d);
    int c = cap / TPR;
    int bk = FlashAttention.tile(cap);
    float scale = FlashAttention.scale(d);
    long qStride = (long) heads * d;
    long kvStride = (long) kvHeads * d;
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        int kvh = h / (heads / kvHeads);
        for (int tile = 0; tile < FlashAttention.blocks(n); tile++) {
          float[][] ks = new float[bk][cap];
          float[][] vs = new float[bk][cap];
          // registers of the block's threads: [row][part][c]
          float[][][] qr = new float[ROWS][TPR][c];
          float[][][] acc = new float[ROWS][TPR][c];
          float[] m = new float[ROWS];
          float[] l = new float[ROWS];
          for (int row = 0; row < ROWS; row++) {
            int t = tile * ROWS + row;
            m[row] = Float.NEGATIVE_INFINITY;
            for (int part = 0; part < TPR; part++) {
              for (int i = 0; i < c; i++) {
                int e = part + i * TPR;
                qr[row][part][i] =
                    t < n && e < d
                        ? q[(int) ((b * (long) n + t) * qStride + (long) h * d + e)]
                        : 0f;
              }
            }
          }
          int firstPos = position + tile * ROWS;
          int lastPos = position + Math.min(n, (tile + 1) * ROWS) - 1;
          int lo = window > 0 ? Math.max(0, firstPos - window + 1) : 0;
          int hi = Math.min(lastPos, kvLength - 1);
          for (int j0 = lo / bk * bk; j0 <= hi; j0 += bk) {
            for (int jj = 0; jj < bk; jj++) {
              for (int e = 0; e < cap; e++) {
                int j = j0 + jj;
                boolean ok = j <= hi && e < d;
                int at = (int) ((b * (long) capacity + j) * kvStride + (long) kvh * d + e);
                ks[jj][e] = ok ? k[at] : 0f;
                vs[jj][e] = ok ? v[at] : 0f;
              }
            }
            for (int row = 0; row < ROWS; row++) {
              int t = tile * ROWS + row;
              boolean active = t < n;
              int pos = position + t;
              float[] s = new float[bk];
              float tileMax = Float.NEGATIVE_INFINITY;
              for (int jj = 0; jj < bk; jj++) {
                float[] partials = new float[TPR];
                for (int part = 0; part < TPR; part++) {
                  float p = 0f;
                  for (int i = 0; i < c; i++) {
                    p = Math.fma(qr[row][part][i], ks[jj][part + i * TPR], p);
                  }
                  partials[part] = p;
                }
                float dot = quadSum(partials);
                s[jj] =
                    active && visible(j0 + jj, pos, kvLength, window)
                        ? dot * scale
                        : Float.NEGATIVE_INFINITY;
                tileMax = Math.max(tileMax, s[jj]);
              }
              float mNew = Math.max(m[row], tileMax);
              if (mNew != Float.NEGATIVE_INFINITY) {
                float alpha = (float) Math.exp(m[row] - mNew);
                l[row] *= alpha;
                for (int part = 0; part < TPR; part++) {
                  for (int i = 0; i < c; i++) {
                    acc[row][part][i] *= alpha;
                  }
                }
                for (int jj = 0; jj < bk; jj++) {
                  float p = (float) Math.exp(s[jj] - mNew);
                  l[row] += p;
                  for (int part = 0; part < TPR; part++) {
                    for (int i = 0; i < c; i++) {
                      acc[row][part][i] = Math.fma(p, vs[jj][part + i * TPR], acc[row][part][i]);
                    }
                  }
                }
                m[row] = mNew;
              }
            }
          }
          for (int row = 0; row < ROWS; row++) {
            int t = tile * ROWS + row;
            if (t >= n) {
              continue;
            }
            float inv = 1f / l[row];
            for (int part = 0; part < TPR; part++) {
              for (int i = 0; i < c; i++) {
                int e = part + i * TPR;
                if (e < d) {
                  out[(int) ((b * (long) n + t) * qStride + (long) h * d + e)] =
                      acc[row][part][i] * inv;
                }
              }
            }
            if (lse != null) {
              lse[(b * heads + h) * n + t] = m[row] + (float) Math.log(l[row]);
            }
          }
        }
      }
    }
  }

  static void backward(
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
    float[] dsum = new float[batch * heads * n];
    for (int r = 0; r < dsum.length; r++) {
      int t = r % n;
      int h = (r / n) % heads;
      int b = r / n / heads;
      int at = (b * n + t) * heads * d + h * d;
      float acc = 0f;
      for (int e = 0; e < d; e++) {
        acc = Math.fma(dOut[at + e], out[at + e], acc);
      }
      dsum[r] = acc;
    }
    dkdv(dOut, q, k, v, lse, dsum, dk, dv, batch, n, heads, kvHeads, d, window);
    dq(dOut, q, k, v, lse, dsum, dq, batch, n, heads, kvHeads, d, window);
  }

  private static void dkdv(
      float[] dOut,
      float[] q,
      float[] k,
      float[] v,
      float[] lse,
      float[] dsum,
      float[] dk,
      float[] dv,
      int batch,
      int n,
      int heads,
      int kvHeads,
      int d,
      int window) {
    int cap = FlashAttention.cap(d);
    int c = cap / TPR;
    int bq = FlashAttention.tile(cap);
    float scale = FlashAttention.scale(d);
    int group = heads / kvHeads;
    int qStride = heads * d;
    int kvStride = kvHeads * d;
    for (int b = 0; b < batch; b++) {
      for (int kvh = 0; kvh < kvHeads; kvh++) {
        for (int tile = 0; tile < FlashAttention.blocks(n); tile++) {
          float[][][] kr = new float[ROWS][TPR][c];
          float[][][] vr = new float[ROWS][TPR][c];
          float[][][] dkAcc = new float[ROWS][TPR][c];
          float[][][] dvAcc = new float[ROWS][TPR][c];
          for (int row = 0; row < ROWS; row++) {
            int j = tile * ROWS + row;
            for (int part = 0; part < TPR; part++) {
              for (int i = 0; i < c; i++) {
                int e = part + i * TPR;
                boolean ok = j < n && e < d;
                kr[row][part][i] = ok ? k[(b * n + j) * kvStride + kvh * d + e] : 0f;
                vr[row][part][i] = ok ? v[(b * n + j) * kvStride + kvh * d + e] : 0f;
              }
            }
          }
          int firstKey = tile * ROWS;
          int lastKey = Math.min(n, (tile + 1) * ROWS) - 1;
          int iHi = window > 0 ? Math.min(n - 1, lastKey + window - 1) : n - 1;
          for (int h = kvh * group; h < (kvh + 1) * group; h++) {
            for (int i0 = firstKey / bq * bq; i0 <= iHi; i0 += bq) {
              float[][] qs = new float[bq][cap];
              float[][] gs = new float[bq][cap];
              float[] ls = new float[bq];
              float[] dd = new float[bq];
              for (int ii = 0; ii < bq; ii++) {
                int i = i0 + ii;
                for (int e = 0; e < cap; e++) {
                  boolean ok = i < n && e < d;
                  qs[ii][e] = ok ? q[(b * n + i) * qStride + h * d + e] : 0f;
                  gs[ii][e] = ok ? dOut[(b * n + i) * qStride + h * d + e] : 0f;
                }
                ls[ii] = i < n ? lse[(b * heads + h) * n + i] : 0f;
                dd[ii] = i < n ? dsum[(b * heads + h) * n + i] : 0f;
              }
              for (int row = 0; row < ROWS; row++) {
                int j = tile * ROWS + row;
                for (int ii = 0; ii < bq; ii++) {
                  float[] ps = new float[TPR];
                  float[] pd = new float[TPR];
                  for (int part = 0; part < TPR; part++) {
                    for (int i = 0; i < c; i++) {
                      ps[part] = Math.fma(kr[row][part][i], qs[ii][part + i * TPR], ps[part]);
                      pd[part] = Math.fma(vr[row][part][i], gs[ii][part + i * TPR], pd[part]);
                    }
                  }
                  float s = quadSum(ps);
                  float dp = quadSum(pd);
                  int i = i0 + ii;
                  if (j < n && i < n && visible(j, i, n, window)) {
                    float p = (float) Math.exp(s * scale - ls[ii]);
                    float ds = p * (dp - dd[ii]) * scale;
                    for (int part = 0; part < TPR; part++) {
                      for (int x = 0; x < c; x++) {
                        dvAcc[row][part][x] =
                            Math.fma(p, gs[ii][part + x * TPR], dvAcc[row][part][x]);
                        dkAcc[row][part][x] =
                            Math.fma(ds, qs[ii][part + x * TPR], dkAcc[row][part][x]);
                      }
                    }
                  }
                }
              }
            }
          }
          for (int row = 0; row < ROWS; row++) {
            int j = tile * ROWS + row;
            if (j >= n) {
              continue;
            }
            for (int part = 0; part < TPR; part++) {
              for (int i = 0; i < c; i++) {
                int e = part + i * TPR;
                if (e < d) {
                  dk[(b * n + j) * kvStride + kvh * d + e] += dkAcc[row][part][i];
                  dv[(b * n + j) * kvStride + kvh * d + e] += dvAcc[row][part][i];
                }
              }
            }
          }
        }
      }
    }
  }

  private static void dq(
      float[] dOut,
      float[] q,
      float[] k,
      float[] v,
      float[] lse,
      float[] dsum,
      float[] dq,
      int batch,
      int n,
      int heads,
      int kvHeads,
      int d,
      int window) {
    int cap = FlashAttention.cap(d);
    int c = cap / TPR;
    int bk = FlashAttention.tile(cap);
    float scale = FlashAttention.scale(d);
    int qStride = heads * d;
    int kvStride = kvHeads * d;
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        int kvh = h / (heads / kvHeads);
        for (int tile = 0; tile < FlashAttention.blocks(n); tile++) {
          float[][][] qr = new float[ROWS][TPR][c];
          float[][][] gr = new float[ROWS][TPR][c];
          float[][][] acc = new float[ROWS][TPR][c];
          for (int row = 0; row < ROWS; row++) {
            int i = tile * ROWS + row;
            for (int part = 0; part < TPR; part++) {
              for (int x = 0; x < c; x++) {
                int e = part + x * TPR;
                boolean ok = i < n && e < d;
                qr[row][part][x] = ok ? q[(b * n + i) * qStride + h * d + e] : 0f;
                gr[row][part][x] = ok ? dOut[(b * n + i) * qStride + h * d + e] : 0f;
              }
            }
          }
          int firstQ = tile * ROWS;
          int lastQ = Math.min(n, (tile + 1) * ROWS) - 1;
          int lo = window > 0 ? Math.max(0, firstQ - window + 1) : 0;
          for (int j0 = lo / bk * bk; j0 <= lastQ; j0 += bk) {
            float[][] ks = new float[bk][cap];
            float[][] vs = new float[bk][cap];
            for (int jj = 0; jj < bk; jj++) {
              int j = j0 + jj;
              for (int e = 0; e < cap; e++) {
                boolean ok = j <= lastQ && e < d;
                ks[jj][e] = ok ? k[(b * n + j) * kvStride + kvh * d + e] : 0f;
                vs[jj][e] = ok ? v[(b * n + j) * kvStride + kvh * d + e] : 0f;
              }
            }
            for (int row = 0; row < ROWS; row++) {
              int i = tile * ROWS + row;
              if (i >= n) {
                continue;
              }
              float li = lse[(b * heads + h) * n + i];
              float di = dsum[(b * heads + h) * n + i];
              for (int jj = 0; jj < bk; jj++) {
                float[] ps = new float[TPR];
                float[] pd = new float[TPR];
                for (int part = 0; part < TPR; part++) {
                  for (int x = 0; x < c; x++) {
                    ps[part] = Math.fma(qr[row][part][x], ks[jj][part + x * TPR], ps[part]);
                    pd[part] = Math.fma(gr[row][part][x], vs[jj][part + x * TPR], pd[part]);
                  }
                }
                float s = quadSum(ps);
                float dp = quadSum(pd);
                if (visible(j0 + jj, i, n, window)) {
                  float p = (float) Math.exp(s * scale - li);
                  float ds = p * (dp - di) * scale;
                  for (int part = 0; part < TPR; part++) {
                    for (int x = 0; x < c; x++) {
                      acc[row][part][x] = Math.fma(ds, ks[jj][part + x * TPR], acc[row][part][x]);
                    }
                  }
                }
              }
            }
          }
          for (int row = 0; row < ROWS; row++) {
            int i = tile * ROWS + row;
            if (i >= n) {
              continue;
            }
            for (int part = 0; part < TPR; part++) {
              for (int x = 0; x < c; x++) {
                int e = part + x * TPR;
                if (e < d) {
                  dq[(b * n + i) * qStride + h * d + e] += acc[row][part][x];
                }
              }
            }
          }
        }
      }
    }
  }
}
