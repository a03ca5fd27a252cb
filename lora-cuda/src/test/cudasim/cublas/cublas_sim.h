// The part of cuBLAS's C API (cublas_api.h, library_types.h) that lorakit calls, written once from NVIDIA's cuBLAS
// documentation (docs.nvidia.com/cuda/cublas), since no cuBLAS header is installed on the machines that build the
// simulator. Names, values and signatures are the real library's; CublasSimulatorTest holds the values below to
// lora-cuda's bindings everywhere and to the toolkit's library_types.h where it is installed.
#ifndef LORAKIT_CUDASIM_CUBLAS_SIM_H
#define LORAKIT_CUDASIM_CUBLAS_SIM_H

#include <cstdint>

#ifdef __cplusplus
extern "C" {
#endif

// cuBLAS 13.0.0; cublasGetVersion reports CUBLAS_VER_MAJOR * 10000 + CUBLAS_VER_MINOR * 100 + CUBLAS_VER_PATCH.
#define CUBLAS_VER_MAJOR 13
#define CUBLAS_VER_MINOR 0
#define CUBLAS_VER_PATCH 0
#define CUBLAS_VERSION (CUBLAS_VER_MAJOR * 10000 + CUBLAS_VER_MINOR * 100 + CUBLAS_VER_PATCH)

// cublasStatus_t: the result of every cuBLAS call.
typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16
} cublasStatus_t;

// cublasOperation_t: op(X) = X, X^T or X^H (for real types H is T).
typedef enum {
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2,
    CUBLAS_OP_HERMITAN = 2,
    CUBLAS_OP_CONJG = 3
} cublasOperation_t;

// cublasMath_t: the base modes, optionally OR-ed with CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION.
typedef enum {
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_FP32_EMULATED_BF16X9_MATH = 4,
    CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH = 8,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
} cublasMath_t;

// cublasComputeType_t: the precision the GEMM accumulates in (and, for the FAST kinds, rounds its inputs to).
typedef enum {
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
    CUBLAS_COMPUTE_32F_EMULATED_16BFX9 = 78,
    CUBLAS_COMPUTE_64F = 70,
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT = 79,
    CUBLAS_COMPUTE_32I = 72,
    CUBLAS_COMPUTE_32I_PEDANTIC = 73
} cublasComputeType_t;

// cublasGemmAlgo_t: a hint; the simulator computes every algorithm the same way.
typedef enum {
    CUBLAS_GEMM_DEFAULT = -1,
    CUBLAS_GEMM_ALGO0 = 0,
    CUBLAS_GEMM_ALGO23 = 23,
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
    CUBLAS_GEMM_DFALT_TENSOR_OP = 99,
    CUBLAS_GEMM_ALGO0_TENSOR_OP = 100,
    CUBLAS_GEMM_ALGO15_TENSOR_OP = 115
} cublasGemmAlgo_t;

// cudaDataType_t (library_types.h): R = real, C = complex; the element type of a matrix.
typedef enum cudaDataType_t {
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
    CUDA_R_16F = 2,
    CUDA_R_8I = 3,
    CUDA_C_32F = 4,
    CUDA_C_64F = 5,
    CUDA_C_16F = 6,
    CUDA_C_8I = 7,
    CUDA_R_8U = 8,
    CUDA_C_8U = 9,
    CUDA_R_32I = 10,
    CUDA_C_32I = 11,
    CUDA_R_32U = 12,
    CUDA_C_32U = 13,
    CUDA_R_16BF = 14,
    CUDA_C_16BF = 15,
    CUDA_R_4I = 16,
    CUDA_C_4I = 17,
    CUDA_R_4U = 18,
    CUDA_C_4U = 19,
    CUDA_R_16I = 20,
    CUDA_C_16I = 21,
    CUDA_R_16U = 22,
    CUDA_C_16U = 23,
    CUDA_R_64I = 24,
    CUDA_C_64I = 25,
    CUDA_R_64U = 26,
    CUDA_C_64U = 27,
    CUDA_R_8F_E4M3 = 28,
    CUDA_R_8F_E5M2 = 29,
    CUDA_R_8F_UE8M0 = 30,
    CUDA_R_6F_E2M3 = 31,
    CUDA_R_6F_E3M2 = 32,
    CUDA_R_4F_E2M1 = 33
} cudaDataType_t;
typedef enum cudaDataType_t cudaDataType;

struct cublasContext;
typedef struct cublasContext* cublasHandle_t;
// The driver's CUstream; cuBLAS only stores it.
typedef struct CUstream_st* cudaStream_t;

// Creates a handle (the library context of the current device) and stores it in *handle.
// INVALID_VALUE when handle is NULL; ALLOC_FAILED when the context cannot be allocated.
cublasStatus_t cublasCreate_v2(cublasHandle_t* handle);

// Releases a handle; calls with it afterwards fail with NOT_INITIALIZED.
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);

// Sets the stream every later call of this handle runs on (NULL: the default stream).
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);

// Stores the handle's stream in *streamId.
cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t* streamId);

// Sets the handle's math mode (a cublasMath_t base mode, optionally OR-ed with the reduction flag);
// INVALID_VALUE for any other value.
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);

// Stores the handle's math mode in *mode.
cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode);

// Stores CUBLAS_VERSION in *version.
cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version);

// The enumerator's name, e.g. "CUBLAS_STATUS_INVALID_VALUE"; never NULL.
const char* cublasGetStatusName(cublasStatus_t status);

// A sentence describing the status; never NULL.
const char* cublasGetStatusString(cublasStatus_t status);

// C = alpha op(A) op(B) + beta C, column-major: op(A) is m x k, op(B) k x n, C m x n, element (i, j) of a matrix X
// at X[i + j * ldX]. alpha and beta point to host scalars of the compute type's scale type (float for the 32F
// kinds). When beta is 0, C is not read (NaN in C does not propagate). Returns
//   NOT_INITIALIZED  handle is not a live handle;
//   INVALID_VALUE    m, n or k < 0, transa or transb not N, T or C, lda < max(1, m) for op N or < max(1, k)
//                    otherwise, ldb < max(1, k) for op N or < max(1, n) otherwise, ldc < max(1, m), alpha or
//                    beta NULL, or a type, compute type or algo that is not a cublas enumerator;
//   NOT_SUPPORTED    a combination of Atype, Btype, Ctype and computeType that the function does not support.
// Supported with the 32F compute types: A and B both CUDA_R_16BF with C CUDA_R_16BF or CUDA_R_32F, both
// CUDA_R_16F with C CUDA_R_16F or CUDA_R_32F, both CUDA_R_32F with C CUDA_R_32F (the FAST kinds: only the last).
cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
        int k, const void* alpha, const void* A, cudaDataType Atype, int lda, const void* B, cudaDataType Btype,
        int ldb, const void* beta, void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
        cublasGemmAlgo_t algo);

// batchCount independent cublasGemmEx products; matrix i of X starts at X + i * strideX elements (a stride of 0
// shares one matrix between every product). Returns what cublasGemmEx returns, and INVALID_VALUE for
// batchCount < 0.
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA,
        const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C,
        cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType,
        cublasGemmAlgo_t algo);

#ifdef __cplusplus
}
#endif

#endif
