// Helpers shared by every kernel file; the loader puts this text in front of each file (nvcc: -include).
// 16-bit floats are plain unsigned shorts converted by hand, so NVRTC needs no CUDA header at run time and
// bf16 rounding (nearest, ties to even, NaN kept quiet) is bit-for-bit the CPU backend's. Block reductions use
// a fixed tree, so the same input gives the same bits every run (the Backend contract asks for determinism).

#define LK_THREADS 256

// NVRTC compiles without the C math headers, so the one macro used from them is defined here.
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif

__device__ __forceinline__ bool lk_finite(float x) {
    return (__float_as_uint(x) & 0x7f800000u) != 0x7f800000u;
}

typedef unsigned short lk_half;

__device__ __forceinline__ float bf16_to_float(lk_half b) {
    return __uint_as_float(((unsigned int) b) << 16);
}

__device__ __forceinline__ lk_half float_to_bf16(float f) {
    unsigned int bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (lk_half) ((bits >> 16) | 0x0040u);
    }
    unsigned int bias = 0x7fffu + ((bits >> 16) & 1u);
    return (lk_half) ((bits + bias) >> 16);
}

__device__ __forceinline__ float f16_to_float(lk_half h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ lk_half float_to_f16(float f) {
    lk_half h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// bf16 as a distinct type so that the typed loads and stores below overload on it; one unsigned short, as stored.
struct lk_bf16 {
    unsigned short bits;
};

// Typed element access: kernels that run on F32 and on BF16 activations are templates over these, and the
// extern "C" entry points instantiate them. Arithmetic is always float (or double) in registers.
__device__ __forceinline__ float lk_ld(const float* p, long long i) {
    return p[i];
}

__device__ __forceinline__ float lk_ld(const lk_bf16* p, long long i) {
    return bf16_to_float(p[i].bits);
}

__device__ __forceinline__ void lk_st(float* p, long long i, float v) {
    p[i] = v;
}

__device__ __forceinline__ void lk_st(lk_bf16* p, long long i, float v) {
    p[i].bits = float_to_bf16(v);
}

// The sum of v over the block, returned to every thread. blockDim.x must be a multiple of 32, at most 1024;
// `scratch` holds 32 elements of shared memory.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < (int) (blockDim.x >> 5) ? scratch[lane] : (T) 0;
        for (int o = 16; o > 0; o >>= 1) {
            v += __shfl_xor_sync(0xffffffffu, v, o);
        }
        if (lane == 0) {
            scratch[0] = v;
        }
    }
    __syncthreads();
    v = scratch[0];
    __syncthreads();
    return v;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < (int) (blockDim.x >> 5) ? scratch[lane] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) {
            v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
        }
        if (lane == 0) {
            scratch[0] = v;
        }
    }
    __syncthreads();
    v = scratch[0];
    __syncthreads();
    return v;
}

// Attention: key j is visible from query position pos iff j <= pos, j < kv_length and (window 0 or pos - window < j).
__device__ __forceinline__ bool fa_visible(int j, int pos, int kv_length, int window) {
    return j <= pos && j < kv_length && (window <= 0 || pos - window < j);
}

// Grid-stride loop over n elements with 64-bit indices (tensors may exceed 2^31 elements).
#define LK_FOR(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// ---- tensor cores (sm_80 and later) -----------------------------------------------------------------------------
// Kernels reach mma.sync and ldmatrix only through these helpers. On a GPU they are inline PTX; under the CUDA
// simulator (whose prelude defines LK_CUDASIM) they are warp collectives with the PTX ISA's fragment layouts, so
// tensor-core kernels are checked without a GPU. All 32 lanes of the warp must call them together (.aligned).
// Fragments, with g = lane / 4 and t = lane % 4 (two 16-bit elements per register, the lower column or row first):
//   A 16x16 row-major, a[4]: a[0] (row g, cols 2t, 2t+1), a[1] (row g+8, same), a[2] (row g, cols 2t+8, 2t+9),
//     a[3] (row g+8, cols 2t+8, 2t+9);
//   B 16x8 "col", b[2]: b[0] (rows 2t, 2t+1, col g), b[1] (rows 2t+8, 2t+9, col g);
//   C, D 16x8 fp32, c[4]: c[0], c[1] (row g, cols 2t, 2t+1), c[2], c[3] (row g+8, same).
// ldmatrix: lane 8j + r passes the shared-memory address of row r (8 16-bit elements, 16-byte aligned) of matrix
// j; register j receives row g, elements 2t and 2t+1 of matrix j, or with .trans elements (rows 2t and 2t+1,
// column g). x2 reads the addresses of lanes 0..15 only.

// d = a b + c (d may be c), bf16 inputs, fp32 accumulation.
__device__ __forceinline__ void lk_mma_bf16_16816(float* d, const unsigned* a, const unsigned* b, const float* c) {
#ifdef LK_CUDASIM
    __lksim_mma_m16n8k16(d, a, b, c, true);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%10,%11,%12,%13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
                   "f"(c[2]), "f"(c[3]));
#endif
}

// The same with f16 inputs.
__device__ __forceinline__ void lk_mma_f16_16816(float* d, const unsigned* a, const unsigned* b, const float* c) {
#ifdef LK_CUDASIM
    __lksim_mma_m16n8k16(d, a, b, c, false);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%10,%11,%12,%13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
                   "f"(c[2]), "f"(c[3]));
#endif
}

#ifndef LK_CUDASIM
__device__ __forceinline__ unsigned lk_shared_address(const void* p) {
    unsigned a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}
#endif

__device__ __forceinline__ void lk_ldmatrix_x4(unsigned* r, const void* row) {
#ifdef LK_CUDASIM
    __lksim_ldmatrix<4, false>(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(lk_shared_address(row)));
#endif
}

__device__ __forceinline__ void lk_ldmatrix_x4_trans(unsigned* r, const void* row) {
#ifdef LK_CUDASIM
    __lksim_ldmatrix<4, true>(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(lk_shared_address(row)));
#endif
}

__device__ __forceinline__ void lk_ldmatrix_x2(unsigned* r, const void* row) {
#ifdef LK_CUDASIM
    __lksim_ldmatrix<2, false>(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1]) : "r"(lk_shared_address(row)));
#endif
}

__device__ __forceinline__ void lk_ldmatrix_x2_trans(unsigned* r, const void* row) {
#ifdef LK_CUDASIM
    __lksim_ldmatrix<2, true>(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1]) : "r"(lk_shared_address(row)));
#endif
}
