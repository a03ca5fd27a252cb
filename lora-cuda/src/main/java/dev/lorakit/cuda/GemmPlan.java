package dev.lorakit.cuda;

import dev.lorakit.core.backend.OpArguments;

/**
 * How one row-major {@code c = alpha op(a) op(b) + beta c} (the Backend's matmul) becomes a
 * column-major cuBLAS call. A row-major matrix read as column-major is its transpose, so cuBLAS is
 * asked for {@code c^T = op(b)^T op(a)^T}: the operands swap places, keep their own transpose
 * flags, and every leading dimension is the row-major row length. Batching is the contract's
 * ({@link OpArguments#matmul}): a shared operand has stride 0.
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

  /** The plan of a product whose arguments {@link OpArguments#matmul} checked into {@code s}. */
  static GemmPlan of(OpArguments.MatmulSizes s, boolean transA, boolean transB) {
    int colsA = transA ? s.m() : s.k();
    int colsB = transB ? s.k() : s.n();
    return new GemmPlan(
        transB,
        transA,
        s.n(),
        s.m(),
        s.k(),
        Math.max(1, colsB),
        Math.max(1, colsA),
        Math.max(1, s.n()),
        s.bShared() ? 0 : (long) s.k() * s.n(),
        s.aShared() ? 0 : (long) s.m() * s.k(),
        (long) s.m() * s.n(),
        s.batch());
  }

  boolean empty() {
    return m == 0 || n == 0 || batch == 0;
  }
}
