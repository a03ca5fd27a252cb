package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.Shape;

/**
 * {@code C = alpha * op(A) op(B) + beta * C} on float arrays: checks the shapes, then hands each matrix of the
 * batch to {@link PackedGemm}. Products with only a few rows (a decoding step: one token per sequence) skip the
 * packing, which would copy a whole weight matrix to use it a few times, and stream B instead: rows-times-rows
 * dot products when B is transposed, row updates {@code C[i,:] += A[i,k] * B[k,:]} otherwise.
 */
final class Matmul {

    /** Products with fewer rows than this stream B instead of packing it. */
    static final int STREAM_ROWS = 4;

    /** Output columns per streaming task: a few cache lines of C, enough rows of B to reuse one row of A across. */
    private static final int COLS_PER_TASK = 64;

    private final Parallel par;
    private final PackedGemm gemm;

    Matmul(Parallel par) {
        this.par = par;
        this.gemm = new PackedGemm(par);
    }

    /** One operand seen as {@code count} matrices of {@code rows x cols} ({@code count} 1: shared). */
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

    void run(CpuTensor ta, boolean transA, CpuTensor tb, boolean transB, CpuTensor tc, float alpha, float beta) {
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
            throw new IllegalArgumentException("matmul: shapes do not fit: a " + ta.shape() + (transA ? "^T" : "")
                    + ", b " + tb.shape() + (transB ? "^T" : "") + ", c " + cs + ".");
        }
        int k = ak;
        float[] av = ta.floats();
        float[] bv = tb.floats();
        float[] cv = tc.floats();
        int aStride = a.count == 1 ? 0 : m * k;
        int bStride = b.count == 1 ? 0 : k * n;
        if (m >= STREAM_ROWS) {
            for (int p = 0; p < batch; p++) {
                PackedGemm.View av2 = transA ? new PackedGemm.View(av, p * aStride, 1, m)
                        : new PackedGemm.View(av, p * aStride, k, 1);
                PackedGemm.View bv2 = transB ? new PackedGemm.View(bv, p * bStride, 1, k)
                        : new PackedGemm.View(bv, p * bStride, n, 1);
                gemm.multiply(av2, bv2, cv, p * m * n, m, n, k, alpha, beta);
            }
            return;
        }
        stream(av, transA, bv, transB, cv, a.count, batch, m, n, k, aStride, bStride, alpha, beta);
    }

    private void stream(float[] av, boolean transA, float[] bv, boolean transB, float[] cv, int aCount, int batch,
            int m, int n, int k, int aStride, int bStride, float alpha, float beta) {
        if (transA && transB) {
            // Rare: pack A^T once so the dot-product loop applies.
            float[] packed = new float[aCount * m * k];
            for (int p = 0; p < aCount; p++) {
                for (int kk = 0; kk < k; kk++) {
                    for (int i = 0; i < m; i++) {
                        packed[p * m * k + i * k + kk] = av[p * m * k + kk * m + i];
                    }
                }
            }
            av = packed;
            transA = false;
        }
        float[] fa = av;
        boolean ta2 = transA;
        int colTasks = Math.ceilDiv(n, COLS_PER_TASK);
        int tasks = batch * m * colTasks;
        int work = Math.max(1, k * Math.min(n, COLS_PER_TASK));
        par.forRange(tasks, Math.max(1, (1 << 16) / work), (from, to) -> {
            float[] four = new float[4];
            for (int task = from; task < to; task++) {
                int p = task / (m * colTasks);
                int rest = task % (m * colTasks);
                int i = rest / colTasks;
                int j0 = (rest % colTasks) * COLS_PER_TASK;
                int j1 = Math.min(n, j0 + COLS_PER_TASK);
                int aOff = p * aStride;
                int bOff = p * bStride;
                int cOff = p * m * n + i * n;
                if (transB) {
                    rowDotRows(fa, aOff + i * k, bv, bOff, k, cv, cOff, j0, j1, alpha, beta, four);
                } else {
                    rowUpdate(fa, aOff, ta2, i, m, k, bv, bOff, n, cv, cOff, j0, j1, alpha, beta);
                }
            }
        });
    }

    /** {@code c[j] = alpha * a . b_j + beta * c[j]} for {@code j0 <= j < j1}, where {@code b_j} is row j of B. */
    private static void rowDotRows(float[] a, int ao, float[] b, int bo, int k, float[] c, int co, int j0, int j1,
            float alpha, float beta, float[] four) {
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            VectorKernels.dot4(a, ao, b, bo + j * k, k, k, four);
            for (int q = 0; q < 4; q++) {
                c[co + j + q] = combine(alpha * four[q], beta, c[co + j + q]);
            }
        }
        for (; j < j1; j++) {
            c[co + j] = combine(alpha * VectorKernels.dot(a, ao, b, bo + j * k, k), beta, c[co + j]);
        }
    }

    private static float combine(float product, float beta, float old) {
        return beta == 0f ? product : product + beta * old;
    }

    /** {@code c[j0..j1) = beta * c + sum_k alpha * A[i,k] * B[k, j0..j1)}, A read as stored or transposed. */
    private static void rowUpdate(float[] a, int ao, boolean transA, int i, int m, int k, float[] b, int bo, int n,
            float[] c, int co, int j0, int j1, float alpha, float beta) {
        int width = j1 - j0;
        VectorKernels.scale(beta, c, co + j0, width);
        for (int kk = 0; kk < k; kk++) {
            float s = transA ? a[ao + kk * m + i] : a[ao + i * k + kk];
            VectorKernels.axpy(alpha * s, b, bo + kk * n + j0, c, co + j0, width);
        }
    }
}
