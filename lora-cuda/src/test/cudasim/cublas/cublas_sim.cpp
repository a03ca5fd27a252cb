// The simulated cuBLAS: the handle calls and the two mixed-precision GEMMs lora-cuda binds, computed on the CPU with
// cuBLAS's documented semantics (column-major, op(X) in N/T/C, leading dimensions, batch strides including 0, alpha
// and beta from host memory, fp32 accumulation, round-to-nearest-even into 16-bit outputs, argument checks and
// status codes). A device pointer is a plain host address and every call runs to completion before it returns; the
// stream a handle is given is only recorded.
//
// Speed matters because every GEMM of the GPU tests runs here: operands are converted to fp32 while being packed
// into small panels (GotoBLAS's blocking), an 8 x 6 register tile accumulates each sum in order of k, and large
// products are split over threads by output block. An AVX2 copy of the inner loop is picked at run time when the
// CPU has it, since the build cannot assume it.
#include "cublas_sim.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

struct cublasContext {
    cudaStream_t stream = nullptr;
    cublasMath_t mathMode = CUBLAS_DEFAULT_MATH;
};

namespace {

// ---- handles --------------------------------------------------------------------------------------------------

std::mutex handlesLock;
std::unordered_set<cublasContext*> liveHandles;

bool live(cublasHandle_t h) {
    std::lock_guard<std::mutex> g(handlesLock);
    return h != nullptr && liveHandles.count(h) != 0;
}

// cuBLAS itself logs nothing by default; the simulator says which argument was wrong, since that is what a test
// failing under it needs to know.
cublasStatus_t fail(cublasStatus_t status, const char* call, const char* fmt, ...)
        __attribute__((format(printf, 3, 4)));

cublasStatus_t fail(cublasStatus_t status, const char* call, const char* fmt, ...) {
    char what[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    fprintf(stderr, "cudasim cuBLAS: %s returns %s: %s\n", call, cublasGetStatusName(status), what);
    return status;
}

// ---- number formats (round to nearest even, as the GPU's conversions do) --------------------------------------

inline uint32_t bitsOf(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float floatOf(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float bf16ToFloat(uint16_t h) {
    return floatOf(uint32_t(h) << 16);
}

inline uint16_t floatToBf16(float f) {
    uint32_t u = bitsOf(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return uint16_t((u >> 16) | 0x0040u);  // NaN stays NaN (quiet), keeping its sign
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}

inline float f16ToFloat(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {
        float v = float(mantissa) * 0x1p-24f;  // zero or subnormal: exact
        return sign ? -v : v;
    }
    if (exponent == 31) {
        return floatOf(sign | 0x7f800000u | (mantissa << 13));
    }
    return floatOf(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t floatToF16(float f) {
    uint32_t x = bitsOf(f);
    uint32_t sign = x & 0x80000000u;
    x ^= sign;
    uint16_t out;
    if (x >= (127u + 16u) << 23) {  // |f| >= 65536 (65520 and up round up to it in the last branch)
        out = x > 0x7f800000u ? 0x7e00u : 0x7c00u;
    } else if (x < 113u << 23) {  // below 2^-14: a subnormal; adding 0.5 makes the FPU round at 2^-24
        const uint32_t half = 126u << 23;
        out = uint16_t(bitsOf(floatOf(x) + floatOf(half)) - half);
    } else {
        uint32_t odd = (x >> 13) & 1u;
        x += (uint32_t(15 - 127) << 23) + 0xfffu + odd;
        out = uint16_t(x >> 13);
    }
    return uint16_t(out | (sign >> 16));
}

inline float roundToTf32(float f) {
    uint32_t u = bitsOf(f);
    if ((u & 0x7f800000u) == 0x7f800000u) {
        return f;
    }
    u += 0xfffu + ((u >> 13) & 1u);
    return floatOf(u & 0xffffe000u);
}

// What an fp32 input becomes before the multiply: the FAST compute types (and TF32 math mode) round it.
enum class InputRounding { none, bf16, f16, tf32 };

inline float roundInput(float v, InputRounding r) {
    switch (r) {
        case InputRounding::bf16: return bf16ToFloat(floatToBf16(v));
        case InputRounding::f16: return f16ToFloat(floatToF16(v));
        case InputRounding::tf32: return roundToTf32(v);
        default: return v;
    }
}

inline float load(const void* base, long long index, cudaDataType t) {
    switch (t) {
        case CUDA_R_32F: return static_cast<const float*>(base)[index];
        case CUDA_R_16BF: return bf16ToFloat(static_cast<const uint16_t*>(base)[index]);
        case CUDA_R_16F: return f16ToFloat(static_cast<const uint16_t*>(base)[index]);
        case CUDA_R_8I: return float(static_cast<const int8_t*>(base)[index]);
        default: return 0;
    }
}

inline void store(void* base, long long index, cudaDataType t, float v) {
    switch (t) {
        case CUDA_R_32F: static_cast<float*>(base)[index] = v; break;
        case CUDA_R_16BF: static_cast<uint16_t*>(base)[index] = floatToBf16(v); break;
        case CUDA_R_16F: static_cast<uint16_t*>(base)[index] = floatToF16(v); break;
        default: break;
    }
}

inline int elementBytes(cudaDataType t) {
    switch (t) {
        case CUDA_R_32F: return 4;
        case CUDA_R_16BF:
        case CUDA_R_16F: return 2;
        default: return 1;
    }
}

// ---- the blocked product ------------------------------------------------------------------------------------

constexpr int MR = 8;    // rows of the register tile (one 8-float vector)
constexpr int NR = 6;    // columns of the register tile
constexpr int MC = 128;  // rows of C per task
constexpr int NC = 240;  // columns of C per task (a multiple of NR)
constexpr int KC = 384;  // depth of one packed panel

typedef float v8 __attribute__((vector_size(32)));

// One operand as the product reads it: element (row, col) of op(X) lives at base + row * rowStride + col * colStride
// (in elements), so a transpose is only a swap of strides.
struct Operand {
    const void* base;
    cudaDataType type;
    long long rowStride;
    long long colStride;
};

// Packs op(X)[row0 : row0 + rows, col0 : col0 + cols] into panels of `width` rows: panel q holds rows
// q * width ... as dst[q][col][row % width], zero-padded to whole panels, converted to rounded fp32.
void pack(const Operand& x, long long row0, int rows, long long col0, int cols, int width, InputRounding rounding,
        float* dst) {
    for (int q = 0; q * width < rows; q++) {
        float* panel = dst + static_cast<long long>(q) * cols * width;
        for (int r = 0; r < width; r++) {
            int row = q * width + r;
            if (row >= rows) {
                for (int c = 0; c < cols; c++) {
                    panel[c * width + r] = 0;
                }
                continue;
            }
            long long at = (row0 + row) * x.rowStride + col0 * x.colStride;
            for (int c = 0; c < cols; c++, at += x.colStride) {
                panel[c * width + r] = roundInput(load(x.base, at, x.type), rounding);
            }
        }
    }
}

// acc[MC-tile, column-major, leading dimension MC] += packed A (mc x kc) * packed B (kc x nc). The sum over k runs
// in order, so blocking does not change which additions happen, only when.
__attribute__((always_inline)) inline void multiplyBody(const float* ap, const float* bp, float* acc, int mc, int nc,
        int kc) {
    for (int j = 0; j < nc; j += NR) {
        const float* bpanel = bp + static_cast<long long>(j / NR) * kc * NR;
        for (int i = 0; i < mc; i += MR) {
            const float* apanel = ap + static_cast<long long>(i / MR) * kc * MR;
            float* c = acc + static_cast<long long>(j) * MC + i;
            v8 c0, c1, c2, c3, c4, c5;
            std::memcpy(&c0, c + 0 * MC, 32);
            std::memcpy(&c1, c + 1 * MC, 32);
            std::memcpy(&c2, c + 2 * MC, 32);
            std::memcpy(&c3, c + 3 * MC, 32);
            std::memcpy(&c4, c + 4 * MC, 32);
            std::memcpy(&c5, c + 5 * MC, 32);
            for (int p = 0; p < kc; p++) {
                v8 a;
                std::memcpy(&a, apanel + p * MR, 32);
                const float* b = bpanel + p * NR;
                c0 += a * b[0];
                c1 += a * b[1];
                c2 += a * b[2];
                c3 += a * b[3];
                c4 += a * b[4];
                c5 += a * b[5];
            }
            std::memcpy(c + 0 * MC, &c0, 32);
            std::memcpy(c + 1 * MC, &c1, 32);
            std::memcpy(c + 2 * MC, &c2, 32);
            std::memcpy(c + 3 * MC, &c3, 32);
            std::memcpy(c + 4 * MC, &c4, 32);
            std::memcpy(c + 5 * MC, &c5, 32);
        }
    }
}

__attribute__((target("avx2"))) void multiplyAvx2(const float* ap, const float* bp, float* acc, int mc, int nc,
        int kc) {
    multiplyBody(ap, bp, acc, mc, nc, kc);
}

void multiplyPortable(const float* ap, const float* bp, float* acc, int mc, int nc, int kc) {
    multiplyBody(ap, bp, acc, mc, nc, kc);
}

using MultiplyFn = void (*)(const float*, const float*, float*, int, int, int);

MultiplyFn pickMultiply() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? multiplyAvx2 : multiplyPortable;
}

const MultiplyFn multiply = pickMultiply();

struct Gemm {
    int m, n, k;
    float alpha, beta;
    Operand a, b;  // op(A) (m x k) and op(B) (k x n)
    void* c;
    cudaDataType cType;
    long long ldc;
    long long strideA, strideB, strideC;
    InputRounding rounding;
};

// Computes C[ic : ic + mc, jc : jc + nc] of product `batch` completely: every k block, then alpha, beta and the
// store, so each element of C is read and written once.
void computeBlock(const Gemm& g, int batch, int ic, int jc, std::vector<float>& ap, std::vector<float>& bp,
        std::vector<float>& acc) {
    int mc = std::min(MC, g.m - ic);
    int nc = std::min(NC, g.n - jc);
    std::fill(acc.begin(), acc.end(), 0.0f);
    if (g.alpha != 0.0f && g.k > 0) {
        Operand a = g.a;
        Operand b = g.b;
        a.base = static_cast<const char*>(a.base) + batch * g.strideA * elementBytes(a.type);
        b.base = static_cast<const char*>(b.base) + batch * g.strideB * elementBytes(b.type);
        // op(B) packed as panels of NR columns: pack reads "rows" of its operand, so hand it op(B)^T.
        Operand bt{b.base, b.type, b.colStride, b.rowStride};
        int mcPadded = (mc + MR - 1) / MR * MR;
        int ncPadded = (nc + NR - 1) / NR * NR;
        for (int pc = 0; pc < g.k; pc += KC) {
            int kc = std::min(KC, g.k - pc);
            pack(a, ic, mc, pc, kc, MR, g.rounding, ap.data());
            pack(bt, jc, nc, pc, kc, NR, g.rounding, bp.data());
            multiply(ap.data(), bp.data(), acc.data(), mcPadded, ncPadded, kc);
        }
    }
    char* cBase = static_cast<char*>(g.c) + batch * g.strideC * elementBytes(g.cType);
    for (int j = 0; j < nc; j++) {
        long long col = (jc + j) * g.ldc;
        for (int i = 0; i < mc; i++) {
            long long at = col + ic + i;
            float v = g.alpha * acc[static_cast<long long>(j) * MC + i];
            if (g.beta != 0.0f) {  // beta == 0: C is output only, as in the reference BLAS
                v += g.beta * load(cBase, at, g.cType);
            }
            store(cBase, at, g.cType, v);
        }
    }
}

int threadCount(long long work, long long tasks) {
    static const int configured = [] {
        const char* s = std::getenv("LORAKIT_CUDASIM_THREADS");
        int n = s ? std::atoi(s) : 0;
        return n > 0 ? n : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    }();
    if (work < (1LL << 22)) {
        return 1;  // a thread costs more than this product
    }
    return static_cast<int>(std::min<long long>(configured, tasks));
}

void run(const Gemm& g, int batchCount) {
    long long rowBlocks = (g.m + MC - 1) / MC;
    long long colBlocks = (g.n + NC - 1) / NC;
    long long perBatch = rowBlocks * colBlocks;
    // Products that write one shared C (stride 0) run one after another, in batch order.
    bool parallelBatches = g.strideC != 0 || batchCount == 1;
    long long tasks = parallelBatches ? perBatch * batchCount : perBatch;
    int threads = threadCount(static_cast<long long>(g.m) * g.n * std::max(g.k, 1) * batchCount, tasks);
    std::atomic<long long> next{0};
    auto worker = [&] {
        std::vector<float> ap(static_cast<size_t>(MC) * KC);
        std::vector<float> bp(static_cast<size_t>(NC) * KC);
        std::vector<float> acc(static_cast<size_t>(MC) * NC);
        for (long long t; (t = next.fetch_add(1)) < tasks;) {
            long long block = t % perBatch;
            int ic = static_cast<int>(block % rowBlocks) * MC;
            int jc = static_cast<int>(block / rowBlocks) * NC;
            if (parallelBatches) {
                computeBlock(g, static_cast<int>(t / perBatch), ic, jc, ap, bp, acc);
            } else {
                for (int batch = 0; batch < batchCount; batch++) {
                    computeBlock(g, batch, ic, jc, ap, bp, acc);
                }
            }
        }
    };
    if (threads <= 1) {
        worker();
        return;
    }
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; i++) {
        pool.emplace_back(worker);
    }
    worker();
    for (auto& t : pool) {
        t.join();
    }
}

// ---- argument checks ------------------------------------------------------------------------------------------

bool isOperation(int op) {
    return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

bool isDataType(int t) {
    return t >= CUDA_R_32F && t <= CUDA_R_4F_E2M1;
}

bool isComputeType(int t) {
    return t >= CUBLAS_COMPUTE_16F && t <= CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT && t != 66 && t != 67 && t != 76;
}

bool isAlgo(int a) {
    return (a >= CUBLAS_GEMM_DEFAULT && a <= CUBLAS_GEMM_ALGO23)
            || (a >= CUBLAS_GEMM_DEFAULT_TENSOR_OP && a <= CUBLAS_GEMM_ALGO15_TENSOR_OP);
}

const char* opName(int op) {
    return op == CUBLAS_OP_N ? "N" : op == CUBLAS_OP_T ? "T" : op == CUBLAS_OP_C ? "C" : "?";
}

// The GemmEx type table for the fp32-accumulating compute types. Others (16F, 64F, 32I accumulation) are real
// cuBLAS features lorakit does not use; the simulator reports them as not supported rather than compute them
// differently.
bool supported(cudaDataType a, cudaDataType b, cudaDataType c, cublasComputeType_t compute) {
    if (a != b) {
        return false;
    }
    switch (compute) {
        case CUBLAS_COMPUTE_32F:
        case CUBLAS_COMPUTE_32F_PEDANTIC:
            return (a == CUDA_R_32F && c == CUDA_R_32F) || (a == CUDA_R_16BF && (c == CUDA_R_16BF || c == CUDA_R_32F))
                    || (a == CUDA_R_16F && (c == CUDA_R_16F || c == CUDA_R_32F)) || (a == CUDA_R_8I && c == CUDA_R_32F);
        case CUBLAS_COMPUTE_32F_FAST_16F:
        case CUBLAS_COMPUTE_32F_FAST_16BF:
        case CUBLAS_COMPUTE_32F_FAST_TF32:
        case CUBLAS_COMPUTE_32F_EMULATED_16BFX9:
            return a == CUDA_R_32F && c == CUDA_R_32F;
        default:
            return false;
    }
}

InputRounding roundingFor(cublasComputeType_t compute, cudaDataType a, cublasMath_t mathMode) {
    if (a != CUDA_R_32F) {
        return InputRounding::none;
    }
    switch (compute) {
        case CUBLAS_COMPUTE_32F_FAST_16F: return InputRounding::f16;
        case CUBLAS_COMPUTE_32F_FAST_16BF: return InputRounding::bf16;
        case CUBLAS_COMPUTE_32F_FAST_TF32: return InputRounding::tf32;
        case CUBLAS_COMPUTE_32F:
            // TF32 math mode lets cuBLAS round fp32 operands to TF32; the simulator always does, so a caller that
            // asks for it sees the precision it may get.
            return (mathMode & 0xf) == CUBLAS_TF32_TENSOR_OP_MATH ? InputRounding::tf32 : InputRounding::none;
        default: return InputRounding::none;
    }
}

cublasStatus_t gemm(const char* call, cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long strideA,
        const void* B, cudaDataType Btype, int ldb, long long strideB, const void* beta, void* C, cudaDataType Ctype,
        int ldc, long long strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    if (!live(handle)) {
        return fail(CUBLAS_STATUS_NOT_INITIALIZED, call, "the handle %p is not a live cublasHandle_t",
                static_cast<void*>(handle));
    }
    if (m < 0 || n < 0 || k < 0) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "m=%d, n=%d, k=%d: a negative size", m, n, k);
    }
    if (batchCount < 0) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "batchCount=%d is negative", batchCount);
    }
    if (!isOperation(transa) || !isOperation(transb)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "transa=%d, transb=%d: not CUBLAS_OP_N, _T or _C",
                int(transa), int(transb));
    }
    int aRows = transa == CUBLAS_OP_N ? m : k;  // rows of A as stored
    int bRows = transb == CUBLAS_OP_N ? k : n;
    if (lda < std::max(1, aRows)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "lda=%d < max(1, %s=%d) for transa=%s", lda,
                transa == CUBLAS_OP_N ? "m" : "k", aRows, opName(transa));
    }
    if (ldb < std::max(1, bRows)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "ldb=%d < max(1, %s=%d) for transb=%s", ldb,
                transb == CUBLAS_OP_N ? "k" : "n", bRows, opName(transb));
    }
    if (ldc < std::max(1, m)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "ldc=%d < max(1, m=%d)", ldc, m);
    }
    if (alpha == nullptr || beta == nullptr) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "alpha or beta is NULL");
    }
    if (!isDataType(Atype) || !isDataType(Btype) || !isDataType(Ctype)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "Atype=%d, Btype=%d, Ctype=%d: not a cudaDataType",
                int(Atype), int(Btype), int(Ctype));
    }
    if (!isComputeType(computeType)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "computeType=%d is not a cublasComputeType_t",
                int(computeType));
    }
    if (!isAlgo(algo)) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, call, "algo=%d is not a cublasGemmAlgo_t", int(algo));
    }
    if (!supported(Atype, Btype, Ctype, computeType)) {
        return fail(CUBLAS_STATUS_NOT_SUPPORTED, call,
                "Atype=%d, Btype=%d, Ctype=%d with computeType=%d is not a supported combination", int(Atype),
                int(Btype), int(Ctype), int(computeType));
    }
    if (m == 0 || n == 0 || batchCount == 0) {
        return CUBLAS_STATUS_SUCCESS;
    }
    Gemm g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.alpha = *static_cast<const float*>(alpha);
    g.beta = *static_cast<const float*>(beta);
    bool readsAB = g.alpha != 0.0f && k > 0;
    if (C == nullptr || (readsAB && (A == nullptr || B == nullptr))) {
        // On a GPU this is an illegal address that fails the launch.
        return fail(CUBLAS_STATUS_EXECUTION_FAILED, call, "a NULL matrix pointer (A=%p, B=%p, C=%p)", A, B, C);
    }
    g.a = transa == CUBLAS_OP_N ? Operand{A, Atype, 1, lda} : Operand{A, Atype, lda, 1};
    g.b = transb == CUBLAS_OP_N ? Operand{B, Btype, 1, ldb} : Operand{B, Btype, ldb, 1};
    g.c = C;
    g.cType = Ctype;
    g.ldc = ldc;
    g.strideA = strideA;
    g.strideB = strideB;
    g.strideC = strideC;
    g.rounding = roundingFor(computeType, Atype, handle->mathMode);
    run(g, batchCount);
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
    if (handle == nullptr) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasCreate_v2", "handle is NULL");
    }
    cublasContext* h = new (std::nothrow) cublasContext();
    if (h == nullptr) {
        return CUBLAS_STATUS_ALLOC_FAILED;
    }
    std::lock_guard<std::mutex> g(handlesLock);
    liveHandles.insert(h);
    *handle = h;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    {
        std::lock_guard<std::mutex> g(handlesLock);
        if (handle == nullptr || liveHandles.erase(handle) == 0) {
            return CUBLAS_STATUS_NOT_INITIALIZED;
        }
    }
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId) {
    if (!live(handle)) {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    handle->stream = streamId;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t* streamId) {
    if (!live(handle)) {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    if (streamId == nullptr) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    *streamId = handle->stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    if (!live(handle)) {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    int base = mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base != CUBLAS_DEFAULT_MATH && base != CUBLAS_TENSOR_OP_MATH && base != CUBLAS_PEDANTIC_MATH
            && base != CUBLAS_TF32_TENSOR_OP_MATH && base != CUBLAS_FP32_EMULATED_BF16X9_MATH
            && base != CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH) {
        return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetMathMode", "mode=%d is not a cublasMath_t", int(mode));
    }
    handle->mathMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
    if (!live(handle)) {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    if (mode == nullptr) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    *mode = handle->mathMode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version) {
    if (!live(handle)) {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    if (version == nullptr) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    *version = CUBLAS_VERSION;
    return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

const char* cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "success";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
        case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
        case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
        case CUBLAS_STATUS_LICENSE_ERROR: return "an error was detected when checking the current licensing";
        default: return "an unknown internal error has occurred";
    }
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
        int k, const void* alpha, const void* A, cudaDataType Atype, int lda, const void* B, cudaDataType Btype,
        int ldb, const void* beta, void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
        cublasGemmAlgo_t algo) {
    return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, A, Atype, lda, 0, B, Btype, ldb, 0, beta, C,
            Ctype, ldc, 0, 1, computeType, algo);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA,
        const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C,
        cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType,
        cublasGemmAlgo_t algo) {
    return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B,
            Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo);
}

}  // extern "C"
