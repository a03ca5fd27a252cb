package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * cuBLAS (libcublas.so.13, else .12, as the driver allows): a handle bound to the backend's stream
 * and the two mixed-precision GEMM entry points. Scalars ({@code alpha}, {@code beta}) are passed
 * by host pointer (the default pointer mode) as floats, which is what {@link #CUBLAS_COMPUTE_32F}
 * expects.
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
final class CuBlas implements AutoCloseable {

  /**
   * The sonames to try under a driver of {@code driverVersion} (see {@link
   * NativeLibrary#sonamesFor}).
   */
  static List<String> sonames(int driverVersion) {
    return NativeLibrary.sonamesFor("libcublas.so", driverVersion);
  }

  // cublas_api.h and library_types.h; CudaHeaderConstantsTest checks them where the headers are
  // installed.
  static final int CUBLAS_STATUS_SUCCESS = 0;
  static final int CUBLAS_OP_N = 0;
  static final int CUBLAS_OP_T = 1;
  static final int CUBLAS_DEFAULT_MATH = 0;
  static final int CUBLAS_PEDANTIC_MATH = 2;
  static final int CUBLAS_COMPUTE_32F = 68;
  static final int CUBLAS_COMPUTE_32F_PEDANTIC = 69;
  static final int CUBLAS_GEMM_DEFAULT = -1;
  static final int CUDA_R_32F = 0;
  static final int CUDA_R_16F = 2;
  static final int CUDA_R_16BF = 14;

  private final OpName op;
  private final MethodHandle destroy;
  private final MethodHandle gemmEx;
  private final MethodHandle gemmStridedBatchedEx;
  private final MethodHandle statusName;
  private final MethodHandle statusString;
  private final MemorySegment handle;
  private final int version;
  private final String soname;

  CuBlas(NativeLibrary lib, OpName op, MemorySegment stream) {
    this.op = op;
    this.soname = lib.soname;
    MethodHandle create = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasCreate_v2");
    destroy = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasDestroy_v2");
    MethodHandle setStream =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasSetStream_v2");
    MethodHandle setMathMode =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cublasSetMathMode");
    MethodHandle getVersion =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasGetVersion_v2");
    // cublasGemmEx(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C,
    // Ctype, ldc,
    //              computeType, algo)
    gemmEx =
        lib.bind(
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            "cublasGemmEx");
    // cublasGemmStridedBatchedEx(handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B,
    // Btype, ldb,
    //              strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo)
    gemmStridedBatchedEx =
        lib.bind(
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT),
            "cublasGemmStridedBatchedEx");
    statusName = lib.bindOptional(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cublasGetStatusName");
    statusString =
        lib.bindOptional(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cublasGetStatusString");
    try (Arena a = Arena.ofConfined()) {
      MemorySegment h = a.allocate(ADDRESS);
      check((int) create.invokeExact(h), "cublasCreate_v2");
      handle = h.get(ADDRESS, 0);
      check((int) setStream.invokeExact(handle, stream), "cublasSetStream_v2");
      // Default math with a 32F compute type never rounds fp32 operands to TF32, so fp32 GEMMs
      // match the CPU.
      check((int) setMathMode.invokeExact(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
      MemorySegment v = a.allocate(JAVA_INT);
      check((int) getVersion.invokeExact(handle, v), "cublasGetVersion_v2");
      version = v.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  /** cuBLAS's version number, e.g. 130100 for 13.1.0. */
  int version() {
    return version;
  }

  String soname() {
    return soname;
  }

  private String describe(int status) {
    try {
      String name =
          statusName == null
              ? "cublasStatus_t " + status
              : ((MemorySegment) statusName.invokeExact(status)).reinterpret(256).getString(0);
      String text =
          statusString == null
              ? null
              : ((MemorySegment) statusString.invokeExact(status)).reinterpret(1024).getString(0);
      return text == null ? name : name + " (" + text + ")";
    } catch (Throwable t) {
      return "cublasStatus_t " + status;
    }
  }

  private void check(int status, String call) {
    if (status != CUBLAS_STATUS_SUCCESS) {
      throw new CudaException(call + " failed with " + describe(status) + " in " + op.get() + ".");
    }
  }

  /**
   * One column-major GEMM; {@code scalars} holds alpha at byte 0 and beta at byte 4 (host floats).
   */
  void gemm(
      int transA,
      int transB,
      int m,
      int n,
      int k,
      MemorySegment scalars,
      long a,
      int aType,
      int lda,
      long b,
      int bType,
      int ldb,
      long c,
      int cType,
      int ldc) {
    try {
      int status =
          (int)
              gemmEx.invokeExact(
                  handle,
                  transA,
                  transB,
                  m,
                  n,
                  k,
                  scalars,
                  a,
                  aType,
                  lda,
                  b,
                  bType,
                  ldb,
                  scalars.asSlice(4),
                  c,
                  cType,
                  ldc,
                  CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT);
      check(status, "cublasGemmEx(m=" + m + ", n=" + n + ", k=" + k + ")");
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  /** A batch of column-major GEMMs at fixed element strides (0: one matrix shared by the batch). */
  void gemmStridedBatched(
      int transA,
      int transB,
      int m,
      int n,
      int k,
      MemorySegment scalars,
      long a,
      int aType,
      int lda,
      long strideA,
      long b,
      int bType,
      int ldb,
      long strideB,
      long c,
      int cType,
      int ldc,
      long strideC,
      int batch) {
    try {
      int status =
          (int)
              gemmStridedBatchedEx.invokeExact(
                  handle,
                  transA,
                  transB,
                  m,
                  n,
                  k,
                  scalars,
                  a,
                  aType,
                  lda,
                  strideA,
                  b,
                  bType,
                  ldb,
                  strideB,
                  scalars.asSlice(4),
                  c,
                  cType,
                  ldc,
                  strideC,
                  batch,
                  CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT);
      check(
          status,
          "cublasGemmStridedBatchedEx(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + batch + ")");
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  /** Writes alpha and beta where {@link #gemm} reads them. */
  static MemorySegment scalars(Arena arena, float alpha, float beta) {
    MemorySegment s = arena.allocate(8, 4);
    s.set(JAVA_FLOAT, 0, alpha);
    s.set(JAVA_FLOAT, 4, beta);
    return s;
  }

  @Override
  public void close() {
    try {
      check((int) destroy.invokeExact(handle), "cublasDestroy_v2");
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }
}
