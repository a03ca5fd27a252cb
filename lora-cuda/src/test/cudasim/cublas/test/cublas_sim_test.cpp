// Checks the simulated cuBLAS, opened with dlopen as lora-cuda opens it, against a plain triple loop in double and
// against hand-worked roundings: every transpose pair, odd sizes that cross the library's blocking, leading
// dimensions larger than the rows, batches with a 0 stride, bf16/f16/f32 operands and outputs, beta != 0, the
// argument checks and their status codes. Usage: cublas_sim_test <path of libcublas.so.13>; prints one line per
// failure and "cublas_sim_test: N checks passed" (exit 0) or "... failed" (exit 1).
#include "../cublas_sim.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Api {
    decltype(&cublasCreate_v2) create;
    decltype(&cublasDestroy_v2) destroy;
    decltype(&cublasSetStream_v2) setStream;
    decltype(&cublasGetStream_v2) getStream;
    decltype(&cublasSetMathMode) setMathMode;
    decltype(&cublasGetMathMode) getMathMode;
    decltype(&cublasGetVersion_v2) getVersion;
    decltype(&cublasGetStatusName) statusName;
    decltype(&cublasGetStatusString) statusString;
    decltype(&cublasGemmEx) gemmEx;
    decltype(&cublasGemmStridedBatchedEx) gemmStridedBatchedEx;
};

Api api;
int checks = 0;
int failures = 0;

void check(bool ok, const std::string& what) {
    checks++;
    if (!ok) {
        failures++;
        if (failures <= 40) {
            std::printf("FAIL: %s\n", what.c_str());
        }
    }
}

template <typename F>
void bind(F& f, void* lib, const char* name) {
    f = reinterpret_cast<F>(dlsym(lib, name));
    if (f == nullptr) {
        std::printf("FAIL: the library does not export %s\n", name);
        std::exit(1);
    }
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));

std::string fmt(const char* f, ...) {
    char buf[512];
    va_list args;
    va_start(args, f);
    std::vsnprintf(buf, sizeof buf, f, args);
    va_end(args);
    return buf;
}

// ---- reference conversions, written independently of the library's: the nearest encoding, found by search -------

float bitsToFloat(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

float fromBf16(uint16_t h) {
    return bitsToFloat(uint32_t(h) << 16);
}

float fromF16(uint16_t h) {
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(1024 + m, e - 25);
    return float((h & 0x8000) ? -v : v);
}

// The nearest of all finite encodings (ties to the even one), or infinity past the largest one's half ulp.
uint16_t nearest(double v, float (*decode)(uint16_t), uint16_t maxFinite, uint16_t inf) {
    if (std::isnan(v)) {
        return 0xffff;
    }
    uint16_t sign = std::signbit(v) ? 0x8000 : 0;
    double a = std::fabs(v);
    uint16_t lo = 0;
    uint16_t hi = maxFinite;
    if (a >= decode(maxFinite)) {
        double ulp = double(decode(maxFinite)) - double(decode(uint16_t(maxFinite - 1)));
        if (a > decode(maxFinite) + ulp / 2 || (a == decode(maxFinite) + ulp / 2 && (maxFinite & 1))) {
            return sign | inf;
        }
        return sign | maxFinite;
    }
    while (hi - lo > 1) {  // decode is increasing on [0, maxFinite]
        uint16_t mid = uint16_t((lo + hi) / 2);
        if (decode(mid) <= a) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    double dl = a - decode(lo);
    double dh = decode(hi) - a;
    uint16_t r = dl < dh ? lo : dh < dl ? hi : ((lo & 1) ? hi : lo);
    return sign | r;
}

uint16_t toBf16(double v) {
    return nearest(v, fromBf16, 0x7f7f, 0x7f80);
}

uint16_t toF16(double v) {
    return nearest(v, fromF16, 0x7bff, 0x7c00);
}

// ---- matrices of any of the three types ------------------------------------------------------------------------

struct Matrix {
    cudaDataType type;
    std::vector<unsigned char> bytes;

    Matrix(cudaDataType t, size_t count) : type(t), bytes(count * (t == CUDA_R_32F ? 4 : 2)) {}

    size_t count() const { return bytes.size() / (type == CUDA_R_32F ? 4 : 2); }

    float get(size_t i) const {
        if (type == CUDA_R_32F) {
            float f;
            std::memcpy(&f, &bytes[i * 4], 4);
            return f;
        }
        uint16_t h;
        std::memcpy(&h, &bytes[i * 2], 2);
        return type == CUDA_R_16BF ? fromBf16(h) : fromF16(h);
    }

    uint16_t raw16(size_t i) const {
        uint16_t h;
        std::memcpy(&h, &bytes[i * 2], 2);
        return h;
    }

    void set(size_t i, double v) {
        if (type == CUDA_R_32F) {
            float f = float(v);
            std::memcpy(&bytes[i * 4], &f, 4);
        } else {
            uint16_t h = type == CUDA_R_16BF ? toBf16(v) : toF16(v);
            std::memcpy(&bytes[i * 2], &h, 2);
        }
    }

    void* data() { return bytes.data(); }
};

const char* typeName(cudaDataType t) {
    return t == CUDA_R_32F ? "f32" : t == CUDA_R_16BF ? "bf16" : "f16";
}

const char* opName(cublasOperation_t o) {
    return o == CUBLAS_OP_N ? "N" : o == CUBLAS_OP_T ? "T" : "C";
}

std::mt19937 rng(20261204);

void fillRandom(Matrix& x) {
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    for (size_t i = 0; i < x.count(); i++) {
        x.set(i, d(rng));
    }
}

// Half an ulp of the output type at |v| (its rounding), plus fp32 accumulation over k terms of total size `mass`.
double tolerance(cudaDataType c, double v, double mass, int k) {
    double rel = c == CUDA_R_32F ? 0x1p-24 : c == CUDA_R_16BF ? 0x1p-8 : 0x1p-11;
    double floor = c == CUDA_R_16F ? 0x1p-25 : 0;
    return rel * std::fabs(v) * 1.0001 + floor + (k + 4) * 0x1p-24 * mass;
}

struct Case {
    cublasOperation_t ta, tb;
    int m, n, k, lda, ldb, ldc;
    cudaDataType ab, c;
    float alpha, beta;
    int batch;
    long long strideA, strideB, strideC;
};

// Runs one (batched) product and compares every element of C, and that C's padding kept its sentinel.
void runCase(cublasHandle_t h, const Case& t) {
    int aCols = t.ta == CUBLAS_OP_N ? t.k : t.m;
    int bCols = t.tb == CUBLAS_OP_N ? t.n : t.k;
    size_t aCount = size_t(t.strideA) * (t.batch - 1) + size_t(t.lda) * aCols;
    size_t bCount = size_t(t.strideB) * (t.batch - 1) + size_t(t.ldb) * bCols;
    size_t cCount = size_t(t.strideC) * (t.batch - 1) + size_t(t.ldc) * t.n;
    Matrix a(t.ab, aCount), b(t.ab, bCount), c(t.c, cCount);
    fillRandom(a);
    fillRandom(b);
    const double sentinel = 7.0;  // exactly representable in every type; inputs are in [-1, 1]
    for (size_t i = 0; i < cCount; i++) {
        c.set(i, sentinel);
    }
    std::vector<bool> written(cCount, false);
    for (int p = 0; p < t.batch; p++) {
        for (int j = 0; j < t.n; j++) {
            for (int i = 0; i < t.m; i++) {
                size_t at = size_t(p) * t.strideC + size_t(j) * t.ldc + i;
                c.set(at, std::uniform_real_distribution<double>(-1, 1)(rng));
                written[at] = true;
            }
        }
    }
    Matrix before = c;
    float scalars[2] = {t.alpha, t.beta};
    cublasStatus_t s;
    if (t.batch == 1 && t.strideA == 0 && t.strideB == 0 && t.strideC == 0) {
        s = api.gemmEx(h, t.ta, t.tb, t.m, t.n, t.k, &scalars[0], a.data(), t.ab, t.lda, b.data(), t.ab, t.ldb,
                &scalars[1], c.data(), t.c, t.ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    } else {
        s = api.gemmStridedBatchedEx(h, t.ta, t.tb, t.m, t.n, t.k, &scalars[0], a.data(), t.ab, t.lda, t.strideA,
                b.data(), t.ab, t.ldb, t.strideB, &scalars[1], c.data(), t.c, t.ldc, t.strideC, t.batch,
                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    }
    std::string name = fmt("%s%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d %s->%s alpha=%g beta=%g batch=%d strides %lld/%lld/%lld",
            opName(t.ta), opName(t.tb), t.m, t.n, t.k, t.lda, t.ldb, t.ldc, typeName(t.ab), typeName(t.c), t.alpha,
            t.beta, t.batch, t.strideA, t.strideB, t.strideC);
    check(s == CUBLAS_STATUS_SUCCESS, name + ": status " + api.statusName(s));
    if (s != CUBLAS_STATUS_SUCCESS) {
        return;
    }
    int bad = 0;
    for (int p = 0; p < t.batch; p++) {
        for (int j = 0; j < t.n; j++) {
            for (int i = 0; i < t.m; i++) {
                double sum = 0;
                double mass = 0;
                for (int q = 0; q < t.k; q++) {
                    size_t ai = size_t(p) * t.strideA
                            + (t.ta == CUBLAS_OP_N ? size_t(q) * t.lda + i : size_t(i) * t.lda + q);
                    size_t bi = size_t(p) * t.strideB
                            + (t.tb == CUBLAS_OP_N ? size_t(j) * t.ldb + q : size_t(q) * t.ldb + j);
                    double prod = double(a.get(ai)) * double(b.get(bi));
                    sum += prod;
                    mass += std::fabs(prod);
                }
                size_t at = size_t(p) * t.strideC + size_t(j) * t.ldc + i;
                double old = before.get(at);
                double want = t.alpha * sum + (t.beta != 0 ? t.beta * old : 0.0);
                double got = c.get(at);
                double tol = tolerance(t.c, want, std::fabs(t.alpha) * mass + std::fabs(t.beta * old), t.k);
                if (!(std::fabs(got - want) <= tol) && bad++ < 3) {
                    check(false, fmt("%s: C[%d](%d, %d) = %.9g, expected %.9g (tolerance %.3g)", name.c_str(), p, i, j,
                            got, want, tol));
                }
            }
        }
    }
    check(bad == 0, name + fmt(": %d wrong elements", bad));
    int touched = 0;
    for (size_t i = 0; i < cCount; i++) {
        if (!written[i] && c.get(i) != sentinel) {
            touched++;
        }
    }
    check(touched == 0, name + fmt(": %d elements outside C's matrices were written", touched));
}

void productsMatchTheReference(cublasHandle_t h) {
    const cublasOperation_t ops[] = {CUBLAS_OP_N, CUBLAS_OP_T, CUBLAS_OP_C};
    struct Types {
        cudaDataType ab, c;
    };
    const Types types[] = {{CUDA_R_32F, CUDA_R_32F}, {CUDA_R_16BF, CUDA_R_16BF}, {CUDA_R_16BF, CUDA_R_32F},
            {CUDA_R_16F, CUDA_R_16F}, {CUDA_R_16F, CUDA_R_32F}};
    struct Size {
        int m, n, k;
    };
    // The last two cross the library's 128-row, 240-column and 384-deep blocks and its 8 x 6 register tile.
    const Size sizes[] = {{1, 1, 1}, {7, 5, 3}, {13, 17, 29}, {129, 241, 11}, {9, 7, 385}};
    int variant = 0;
    for (const Types& ty : types) {
        for (cublasOperation_t ta : ops) {
            for (cublasOperation_t tb : ops) {
                for (const Size& sz : sizes) {
                    variant++;
                    int pad = variant % 3;  // leading dimensions 0, 1 or 2 past the rows
                    Case t{ta, tb, sz.m, sz.n, sz.k, 0, 0, 0, ty.ab, ty.c, variant % 2 ? 1.0f : -1.5f,
                            variant % 4 < 2 ? 0.0f : 0.75f, 1, 0, 0, 0};
                    t.lda = (ta == CUBLAS_OP_N ? sz.m : sz.k) + pad;
                    t.ldb = (tb == CUBLAS_OP_N ? sz.k : sz.n) + (pad + 1) % 3;
                    t.ldc = sz.m + (pad + 2) % 3;
                    runCase(h, t);
                }
            }
        }
    }
}

void batchesAndBroadcasts(cublasHandle_t h) {
    const cublasOperation_t ops[] = {CUBLAS_OP_N, CUBLAS_OP_T};
    for (cublasOperation_t ta : ops) {
        for (cublasOperation_t tb : ops) {
            for (int shared = 0; shared < 3; shared++) {  // none, A, or B shared by the batch (stride 0)
                for (cudaDataType ty : {CUDA_R_32F, CUDA_R_16BF}) {
                    int m = 11, n = 6, k = 9;
                    Case t{ta, tb, m, n, k, 0, 0, 0, ty, ty, 0.5f, ty == CUDA_R_32F ? 2.0f : 0.0f, 4, 0, 0, 0};
                    t.lda = (ta == CUBLAS_OP_N ? m : k) + 1;
                    t.ldb = (tb == CUBLAS_OP_N ? k : n) + 2;
                    t.ldc = m + 3;
                    long long aSize = (long long)t.lda * (ta == CUBLAS_OP_N ? k : m);
                    long long bSize = (long long)t.ldb * (tb == CUBLAS_OP_N ? n : k);
                    t.strideA = shared == 1 ? 0 : aSize + 5;
                    t.strideB = shared == 2 ? 0 : bSize;
                    t.strideC = (long long)t.ldc * n + 7;
                    runCase(h, t);
                }
            }
        }
    }
    // Large enough that the library splits it over threads (LORAKIT_CUDASIM_THREADS=4 below), batched and not.
    runCase(h, Case{CUBLAS_OP_T, CUBLAS_OP_N, 300, 500, 70, 70, 70, 301, CUDA_R_16BF, CUDA_R_16BF, 1.0f, 0.0f, 1, 0,
            0, 0});
    runCase(h, Case{CUBLAS_OP_N, CUBLAS_OP_T, 200, 130, 64, 200, 130, 200, CUDA_R_32F, CUDA_R_32F, 1.0f, 1.0f, 3,
            200LL * 64, 0, 200LL * 130});
}

// One 1 x 1 product of depth 2, a0 * b0 + a1 * b1, whose sum is exact in fp32, so only the output rounding shows.
uint16_t roundTrip16(cublasHandle_t h, cudaDataType t, double a0, double b0, double a1, double b1, float alpha = 1) {
    Matrix a(t, 2), b(t, 2), c(t, 1);
    a.set(0, a0);
    a.set(1, a1);
    b.set(0, b0);
    b.set(1, b1);
    float beta = 0;
    cublasStatus_t s = api.gemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, 1, 1, 2, &alpha, a.data(), t, 2, b.data(), t, 2, &beta,
            c.data(), t, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    check(s == CUBLAS_STATUS_SUCCESS, "1 x 1 product status");
    return c.raw16(0);
}

void roundingIsToNearestEven(cublasHandle_t h) {
    struct Want {
        cudaDataType t;
        double a0, b0, a1, b1;
        uint16_t bits;
        const char* what;
    };
    const Want wants[] = {
            {CUDA_R_16BF, 256, 1, 1, 1, 0x4380, "bf16 257 ties to even 256"},
            {CUDA_R_16BF, 256, 1, 3, 1, 0x4382, "bf16 259 ties to even 260"},
            {CUDA_R_16BF, 256, 1, 1.5, 1, 0x4381, "bf16 257.5 rounds up to 258"},
            {CUDA_R_16BF, -256, 1, -3, 1, 0xc382, "bf16 -259 ties to even -260"},
            {CUDA_R_16BF, fromBf16(0x7f7f), 1, std::ldexp(1.0, 119), 1, 0x7f80, "bf16 max + half ulp is infinity"},
            {CUDA_R_16BF, fromBf16(0x7f7f), 1, std::ldexp(1.0, 118), 1, 0x7f7f, "bf16 max + quarter ulp stays max"},
            {CUDA_R_16F, 2048, 1, 1, 1, 0x6800, "f16 2049 ties to even 2048"},
            {CUDA_R_16F, 2048, 1, 3, 1, 0x6802, "f16 2051 ties to even 2052"},
            {CUDA_R_16F, 65504, 1, 16, 1, 0x7c00, "f16 65520 is infinity"},
            {CUDA_R_16F, 65504, 1, 8, 1, 0x7bff, "f16 65512 stays 65504"},
            {CUDA_R_16F, std::ldexp(1.0, -12), std::ldexp(1.0, -13), 0, 0, 0x0000, "f16 2^-25 ties to even 0"},
            {CUDA_R_16F, 3 * std::ldexp(1.0, -12), std::ldexp(1.0, -13), 0, 0, 0x0002, "f16 3*2^-25 ties to 2^-23"},
            {CUDA_R_16F, std::ldexp(1.0, -12), std::ldexp(1.0, -13), std::ldexp(1.0, -14), std::ldexp(1.0, -14), 0x0001,
                    "f16 2^-25 + 2^-28 rounds up to 2^-24"},
            {CUDA_R_16F, -std::ldexp(1.0, -7), std::ldexp(1.0, -7), 0, 0, 0x8400, "f16 -2^-14 is the least normal"},
    };
    for (const Want& w : wants) {
        uint16_t got = roundTrip16(h, w.t, w.a0, w.b0, w.a1, w.b1);
        check(got == w.bits, fmt("%s: got 0x%04x, expected 0x%04x", w.what, got, w.bits));
    }
    uint16_t scaled = roundTrip16(h, CUDA_R_16BF, 256, 1, 2, 1, 0.5f);  // alpha applies before the rounding
    check(scaled == 0x4301, fmt("bf16 alpha 0.5 * 258 = 129: got 0x%04x", scaled));
    uint16_t nan = roundTrip16(h, CUDA_R_16BF, NAN, 1, 0, 0);
    check((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0, fmt("bf16 NaN stays NaN: got 0x%04x", nan));
    nan = roundTrip16(h, CUDA_R_16F, NAN, 1, 0, 0);
    check((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0, fmt("f16 NaN stays NaN: got 0x%04x", nan));
}

void betaZeroAndAlphaZeroReadNothing(cublasHandle_t h) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {NAN, NAN, NAN, NAN};
    float alpha = 1, beta = 0;
    api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &alpha, a, CUDA_R_32F, 2, b, CUDA_R_32F, 2, &beta, c, CUDA_R_32F,
            2, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    check(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4, "beta 0: C's NaNs do not reach the result");
    float nanA[4] = {NAN, NAN, NAN, NAN}, c2[4] = {1, 2, 3, 4};
    alpha = 0;
    beta = 2;
    api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &alpha, nanA, CUDA_R_32F, 2, b, CUDA_R_32F, 2, &beta, c2,
            CUDA_R_32F, 2, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    check(c2[0] == 2 && c2[1] == 4 && c2[2] == 6 && c2[3] == 8, "alpha 0: C = beta C without reading A");
    float c3[2] = {5, 6};
    alpha = 1;
    beta = 3;
    cublasStatus_t s = api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 0, &alpha, nullptr, CUDA_R_32F, 2, nullptr,
            CUDA_R_32F, 1, &beta, c3, CUDA_R_32F, 2, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    check(s == CUBLAS_STATUS_SUCCESS && c3[0] == 15 && c3[1] == 18, "k 0: C = beta C");
    s = api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 0, 3, 2, &alpha, nullptr, CUDA_R_32F, 1, nullptr, CUDA_R_32F, 2,
            &beta, nullptr, CUDA_R_32F, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    check(s == CUBLAS_STATUS_SUCCESS, "m 0 is an empty product that touches nothing");
}

void fastComputeTypesAndTf32MathRoundTheInputs(cublasHandle_t h) {
    auto product = [&](float x, cublasComputeType_t compute) {
        float one = 1, zero = 0, c = 0;
        cublasStatus_t s = api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, &x, CUDA_R_32F, 1, &one,
                CUDA_R_32F, 1, &zero, &c, CUDA_R_32F, 1, compute, CUBLAS_GEMM_DEFAULT);
        check(s == CUBLAS_STATUS_SUCCESS, fmt("compute type %d status %d", int(compute), int(s)));
        return c;
    };
    float x = 1 + std::ldexp(1.0f, -10);  // exact in TF32 (10 fraction bits), not in bf16 (7)
    float y = 1 + std::ldexp(1.0f, -12);  // exact in neither
    check(product(y, CUBLAS_COMPUTE_32F) == y, "COMPUTE_32F keeps every fp32 bit");
    check(product(x, CUBLAS_COMPUTE_32F_FAST_16BF) == 1.0f, "FAST_16BF rounds inputs to bf16");
    check(product(x, CUBLAS_COMPUTE_32F_FAST_16F) == x, "FAST_16F keeps 10 fraction bits");
    check(product(y, CUBLAS_COMPUTE_32F_FAST_TF32) == 1.0f, "FAST_TF32 rounds inputs to TF32");
    check(api.setMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH) == CUBLAS_STATUS_SUCCESS, "TF32 math mode is accepted");
    check(product(y, CUBLAS_COMPUTE_32F) == 1.0f, "TF32 math mode lets COMPUTE_32F round to TF32");
    check(product(y, CUBLAS_COMPUTE_32F_PEDANTIC) == y, "COMPUTE_32F_PEDANTIC never rounds");
    check(api.setMathMode(h, CUBLAS_DEFAULT_MATH) == CUBLAS_STATUS_SUCCESS, "default math mode is accepted");
}

void badArgumentsReturnTheDocumentedStatus(cublasHandle_t h) {
    float a[64] = {}, b[64] = {}, c[64];
    for (float& v : c) {
        v = 42;
    }
    float one = 1;
    struct Bad {
        const char* what;
        cublasStatus_t want;
        cublasOperation_t ta, tb;
        int m, n, k;
        const float *alpha, *beta;
        cudaDataType at, bt, ct;
        int lda, ldb, ldc;
        cublasComputeType_t compute;
        int algo;
    };
    const cublasOperation_t N = CUBLAS_OP_N, T = CUBLAS_OP_T;
    const cudaDataType F = CUDA_R_32F, BF = CUDA_R_16BF, H = CUDA_R_16F;
    const cublasComputeType_t C32 = CUBLAS_COMPUTE_32F;
    const cublasStatus_t INV = CUBLAS_STATUS_INVALID_VALUE, NS = CUBLAS_STATUS_NOT_SUPPORTED;
    const Bad bads[] = {
            {"m < 0", INV, N, N, -1, 2, 2, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"n < 0", INV, N, N, 2, -1, 2, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"k < 0", INV, N, N, 2, 2, -1, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"transa 7", INV, cublasOperation_t(7), N, 2, 2, 2, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"transb CONJG (not N, T or C)", INV, N, CUBLAS_OP_CONJG, 2, 2, 2, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"lda < m for N", INV, N, N, 3, 2, 2, &one, &one, F, F, F, 2, 2, 3, C32, -1},
            {"lda < k for T", INV, T, N, 3, 2, 4, &one, &one, F, F, F, 3, 4, 3, C32, -1},
            {"ldb < k for N", INV, N, N, 2, 2, 3, &one, &one, F, F, F, 2, 2, 2, C32, -1},
            {"ldb < n for T", INV, N, T, 2, 4, 2, &one, &one, F, F, F, 2, 3, 2, C32, -1},
            {"ldc < m", INV, N, N, 3, 2, 2, &one, &one, F, F, F, 3, 2, 2, C32, -1},
            {"lda 0 with m 0", INV, N, N, 0, 2, 2, &one, &one, F, F, F, 0, 2, 1, C32, -1},
            {"alpha NULL", INV, N, N, 2, 2, 2, nullptr, &one, F, F, F, 2, 2, 2, C32, -1},
            {"beta NULL", INV, N, N, 2, 2, 2, &one, nullptr, F, F, F, 2, 2, 2, C32, -1},
            {"Atype 99", INV, N, N, 2, 2, 2, &one, &one, cudaDataType(99), F, F, 2, 2, 2, C32, -1},
            {"computeType 66", INV, N, N, 2, 2, 2, &one, &one, F, F, F, 2, 2, 2, cublasComputeType_t(66), -1},
            {"algo 50", INV, N, N, 2, 2, 2, &one, &one, F, F, F, 2, 2, 2, C32, 50},
            {"bf16 A with f32 B", NS, N, N, 2, 2, 2, &one, &one, BF, F, F, 2, 2, 2, C32, -1},
            {"bf16 A with f16 B", NS, N, N, 2, 2, 2, &one, &one, BF, H, F, 2, 2, 2, C32, -1},
            {"f32 operands into bf16 C", NS, N, N, 2, 2, 2, &one, &one, F, F, BF, 2, 2, 2, C32, -1},
            {"f16 operands into bf16 C", NS, N, N, 2, 2, 2, &one, &one, H, H, BF, 2, 2, 2, C32, -1},
            {"f64 operands", NS, N, N, 2, 2, 2, &one, &one, CUDA_R_64F, CUDA_R_64F, CUDA_R_64F, 2, 2, 2, C32, -1},
            {"FAST_16BF with bf16 operands", NS, N, N, 2, 2, 2, &one, &one, BF, BF, F, 2, 2, 2,
                    CUBLAS_COMPUTE_32F_FAST_16BF, -1},
    };
    for (const Bad& x : bads) {
        cublasStatus_t s = api.gemmEx(h, x.ta, x.tb, x.m, x.n, x.k, x.alpha, a, x.at, x.lda, b, x.bt, x.ldb, x.beta, c,
                x.ct, x.ldc, x.compute, cublasGemmAlgo_t(x.algo));
        check(s == x.want, fmt("cublasGemmEx with %s: got %s, expected %s", x.what, api.statusName(s),
                api.statusName(x.want)));
    }
    cublasStatus_t s = api.gemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, a, F, 2, 4, b, F, 2, 4,
            &one, c, F, 2, 4, -1, C32, CUBLAS_GEMM_DEFAULT);
    check(s == INV, fmt("batchCount -1: got %s", api.statusName(s)));
    s = api.gemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, a, F, 1, 4, b, F, 2, 4, &one, c, F, 2, 4,
            2, C32, CUBLAS_GEMM_DEFAULT);
    check(s == INV, fmt("batched lda < m: got %s", api.statusName(s)));
    s = api.gemmEx(nullptr, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, a, F, 2, b, F, 2, &one, c, F, 2, C32,
            CUBLAS_GEMM_DEFAULT);
    check(s == CUBLAS_STATUS_NOT_INITIALIZED, fmt("NULL handle: got %s", api.statusName(s)));
    s = api.gemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, nullptr, F, 2, b, F, 2, &one, c, F, 2, C32,
            CUBLAS_GEMM_DEFAULT);
    check(s == CUBLAS_STATUS_EXECUTION_FAILED, fmt("NULL A: got %s", api.statusName(s)));
    bool untouched = true;
    for (float v : c) {
        untouched = untouched && v == 42;
    }
    check(untouched, "a rejected call leaves C as it was");
}

void handles() {
    check(api.create(nullptr) == CUBLAS_STATUS_INVALID_VALUE, "cublasCreate_v2(NULL) is INVALID_VALUE");
    cublasHandle_t h = nullptr;
    check(api.create(&h) == CUBLAS_STATUS_SUCCESS && h != nullptr, "cublasCreate_v2 gives a handle");
    cudaStream_t stream = reinterpret_cast<cudaStream_t>(0x1234);
    check(api.setStream(h, stream) == CUBLAS_STATUS_SUCCESS, "cublasSetStream_v2");
    cudaStream_t got = nullptr;
    check(api.getStream(h, &got) == CUBLAS_STATUS_SUCCESS && got == stream, "the stream is recorded");
    check(api.setMathMode(h, cublasMath_t(CUBLAS_PEDANTIC_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION))
                    == CUBLAS_STATUS_SUCCESS,
            "PEDANTIC | DISALLOW_REDUCED_PRECISION_REDUCTION is a math mode");
    cublasMath_t mode;
    check(api.getMathMode(h, &mode) == CUBLAS_STATUS_SUCCESS && mode == 18, "the math mode is recorded");
    check(api.setMathMode(h, cublasMath_t(5)) == CUBLAS_STATUS_INVALID_VALUE, "math mode 5 is INVALID_VALUE");
    int version = 0;
    check(api.getVersion(h, &version) == CUBLAS_STATUS_SUCCESS && version / 10000 == 13,
            fmt("cublasGetVersion_v2 reports 13.x: %d", version));
    check(api.getVersion(h, nullptr) == CUBLAS_STATUS_INVALID_VALUE, "cublasGetVersion_v2(NULL) is INVALID_VALUE");
    check(std::strcmp(api.statusName(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE") == 0,
            "status name of 7");
    check(std::strcmp(api.statusName(CUBLAS_STATUS_NOT_SUPPORTED), "CUBLAS_STATUS_NOT_SUPPORTED") == 0,
            "status name of 15");
    check(std::strcmp(api.statusName(cublasStatus_t(99)), "CUBLAS_STATUS_UNKNOWN") == 0, "status name of 99");
    check(std::strlen(api.statusString(CUBLAS_STATUS_ALLOC_FAILED)) > 10, "status string of 3");
    check(api.destroy(h) == CUBLAS_STATUS_SUCCESS, "cublasDestroy_v2");
    check(api.destroy(h) == CUBLAS_STATUS_NOT_INITIALIZED, "a second cublasDestroy_v2 is NOT_INITIALIZED");
    check(api.setStream(h, stream) == CUBLAS_STATUS_NOT_INITIALIZED, "a destroyed handle is NOT_INITIALIZED");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::printf("usage: cublas_sim_test <libcublas.so.13>\n");
        return 2;
    }
    setenv("LORAKIT_CUDASIM_THREADS", "4", 1);  // splits the large products even on a one-core machine
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        std::printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    bind(api.create, lib, "cublasCreate_v2");
    bind(api.destroy, lib, "cublasDestroy_v2");
    bind(api.setStream, lib, "cublasSetStream_v2");
    bind(api.getStream, lib, "cublasGetStream_v2");
    bind(api.setMathMode, lib, "cublasSetMathMode");
    bind(api.getMathMode, lib, "cublasGetMathMode");
    bind(api.getVersion, lib, "cublasGetVersion_v2");
    bind(api.statusName, lib, "cublasGetStatusName");
    bind(api.statusString, lib, "cublasGetStatusString");
    bind(api.gemmEx, lib, "cublasGemmEx");
    bind(api.gemmStridedBatchedEx, lib, "cublasGemmStridedBatchedEx");

    handles();
    cublasHandle_t h;
    if (api.create(&h) != CUBLAS_STATUS_SUCCESS) {
        std::printf("FAIL: cublasCreate_v2\n");
        return 1;
    }
    productsMatchTheReference(h);
    batchesAndBroadcasts(h);
    roundingIsToNearestEven(h);
    betaZeroAndAlphaZeroReadNothing(h);
    fastComputeTypesAndTf32MathRoundTheInputs(h);
    badArgumentsReturnTheDocumentedStatus(h);
    api.destroy(h);
    if (failures > 0) {
        std::printf("cublas_sim_test: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    std::printf("cublas_sim_test: %d checks passed\n", checks);
    return 0;
}
