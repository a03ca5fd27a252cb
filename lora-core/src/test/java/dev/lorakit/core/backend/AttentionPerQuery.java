package dev.lorakit.core.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The straightforward attention backward the tiled {@link Attention#backward} replaced, kept as the
 * reference its tests hold it to: one query at a time, a vectorised score row and three axpys per
 * (query, key) pair.
 */
final class AttentionPerQuery {

  private static final VectorSpecies<Float> F = VectorKernels.F;

  private AttentionPerQuery() {}

  /**
   * One task per (batch row, kv head): it owns that head's rows of dk and dv and the dq rows of the
   * query heads that read it, so no two tasks write the same element.
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
          float[] p = new float[n];
          float[] ds = new float[n];
          float[] kt = new float[d * n];
          float[] vt = new float[d * n];
          for (int task = from; task < to; task++) {
            int b = task / kvHeads;
            int kvh = task % kvHeads;
            int kvo = kvh * d;
            // This head's keys and values transposed, [d, n]: a query's scores against a run of
            // keys are then
            // d vector FMAs over contiguous lanes, instead of one short dot product (and its lane
            // sum) per key.
            for (int j = 0; j < n; j++) {
              int ko = (b * n + j) * kvRow + kvo;
              for (int i = 0; i < d; i++) {
                kt[i * n + j] = k[ko + i];
                vt[i * n + j] = v[ko + i];
              }
            }
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
              for (int t = 0; t < n; t++) {
                int lo = Attention.firstKey(t, window);
                int qo = (b * n + t) * qRow + h * d;
                float l = lse[(b * heads + h) * n + t];
                float rowDot = VectorKernels.dot(dOut, qo, out, qo, d);
                rowTimesColumns(q, qo, kt, n, d, lo, t - lo + 1, scale, p);
                VectorKernels.expShifted(p, lo, t - lo + 1, l, p, lo);
                rowTimesColumns(dOut, qo, vt, n, d, lo, t - lo + 1, 1f, ds);
                for (int j = lo; j <= t; j++) {
                  ds[j] = p[j] * (ds[j] - rowDot);
                }
                for (int j = lo; j <= t; j++) {
                  int ko = (b * n + j) * kvRow + kvo;
                  VectorKernels.axpy(scale * ds[j], k, ko, dq, qo, d);
                  VectorKernels.axpy(scale * ds[j], q, qo, dk, ko, d);
                  VectorKernels.axpy(p[j], dOut, qo, dv, ko, d);
                }
              }
            }
          }
        });
  }

  /**
   * {@code out[j] = s * sum_i x[xo+i] * m[i*stride + j]} for {@code i < rows} and {@code lo <= j <
   * lo+count}: a row times columns of a row-major matrix, each result an FMA chain over {@code i}
   * in ascending order, lanes across {@code j}.
   */
  private static void rowTimesColumns(
      float[] x, int xo, float[] m, int stride, int rows, int lo, int count, float s, float[] out) {
    int end = lo + count;
    int j = lo;
    for (; j + F.length() <= end; j += F.length()) {
      FloatVector acc = FloatVector.zero(F);
      for (int i = 0; i < rows; i++) {
        acc =
            FloatVector.fromArray(F, m, i * stride + j)
                .fma(FloatVector.broadcast(F, x[xo + i]), acc);
      }
      acc.mul(s).intoArray(out, j);
    }
    if (j < end) {
      VectorMask<Float> mask = F.indexInRange(j, end);
      FloatVector acc = FloatVector.zero(F);
      for (int i = 0; i < rows; i++) {
        acc =
            FloatVector.fromArray(F, m, i * stride + j, mask)
                .fma(FloatVector.broadcast(F, x[xo + i]), acc);
      }
      acc.mul(s).intoArray(out, j, mask);
    }
  }
}
