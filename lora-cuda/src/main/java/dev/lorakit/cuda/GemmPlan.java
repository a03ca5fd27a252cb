package dev.lorakit.cuda;

import dev.lorakit.core.tensor.Shape;

/**
 * How one row-major {@code c = alpha op(a) op(b) + beta c} (the Backend's matmul) becomes a
 * column-major cuBLAS call. A row-major matrix read as column-major is its transpose, so cuBLAS is
 * asked for {@code c^T = op(b)^T op(a)^T}: the operands swap places, keep their own transpose
 * flags, and every leading dimension is the row-major row length. Batching follows the CPU backend:
 * an operand whose leading dimensions equal c's batch is batched, any other is one matrix shared by
 * every batch (stride 0).
 *
 * <p>Fields are in cuBLAS's terms: {@code first} is the row-major {@code b}, {@code second} the
 * row-major {@code a}; {@code m, n, k} are cuBLAS's (m = columns of c, n = rows of c).
 */
record GemmPlan(
    boolean transFirst,
    boolean transSecond,
    int m,
    int n,
    int k,
    int ldFirst,
    int ldSecond,
    int ldc,
    long strideFirst,
    long strideSecond,
    long strideC,
    int batch) {

  private record Operand(int count, int rows, int cols) {
    static Operand of(Shape s, int batch) {
      int cols = s.dim(-1);
      boolean batched = batch > 1 && s.rank() >= 3 && leading(s) == batch;
      int count = batched ? batch : 1;
      long rows = cols == 0 ? 0 : s.size() / cols / count;
      return new Operand(count, (int) rows, cols);
    }
  }

  static long leading(Shape s) {
    long p = 1;
    for (int i = 0; i < s.rank() - 2; i++) {
      p *= s.dim(i);
    }
    return p;
  }

  static GemmPlan of(Shape as, boolean transA, Shape bs, boolean transB, Shape cs) {
    if (cs.rank() < 2) {
      throw new IllegalArgumentException("matmul: the output must have rank >= 2, not " + cs + ".");
    }
    int batch = (int) leading(cs);
    int rowsC = cs.dim(-2);
    int colsC = cs.dim(-1);
    Operand a = Operand.of(as, batch);
    Operand b = Operand.of(bs, batch);
    int am = transA ? a.cols : a.rows;
    int ak = transA ? a.rows : a.cols;
    int bk = transB ? b.cols : b.rows;
    int bn = transB ? b.rows : b.cols;
    if (am != rowsC || bn != colsC || ak != bk) {
      throw new IllegalArgumentException(
          "matmul: shapes do not fit: a "
              + as
              + (transA ? "^T" : "")
              + ", b "
              + bs
              + (transB ? "^T" : "")
              + ", c "
              + cs
              + ".");
    }
    int k = ak;
    return new GemmPlan(
        transB,
        transA,
        colsC,
        rowsC,
        k,
        Math.max(1, b.cols),
        Math.max(1, a.cols),
        Math.max(1, colsC),
        b.count == 1 ? 0 : (long) k * colsC,
        a.count == 1 ? 0 : (long) rowsC * k,
        (long) rowsC * colsC,
        batch);
  }

  boolean empty() {
    return m == 0 || n == 0 || batch == 0;
  }
}
