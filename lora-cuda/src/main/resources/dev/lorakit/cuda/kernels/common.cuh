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

// Grid-stride loop over n elements with 64-bit indices (tensors may exceed 2^31 elements).
#define LK_FOR(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)
