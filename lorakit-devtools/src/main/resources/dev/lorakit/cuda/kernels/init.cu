// Random weights generated on the GPU, for benchmarks of full-size shapes without a 13 GB file: element i of a
// tensor is a normal draw from a counter-based hash of (seed, i), so any element can be computed alone, in any
// order, and the Java mirror (RandomInit.java) gives the same numbers. splitmix64 of seed + (i+1) * golden gives
// 64 bits: two 24-bit uniforms in (0, 1], Box-Muller's cosine branch, times std.

__device__ __forceinline__ unsigned long long init_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ float init_normal(unsigned long long seed, long long i) {
    unsigned long long z = init_mix(seed + (unsigned long long) (i + 1) * 0x9e3779b97f4a7c15ULL);
    float u1 = (float) ((z >> 40) + 1) * (1.0f / 16777216.0f);
    float u2 = (float) ((z >> 16) & 0xffffffULL) * (1.0f / 16777216.0f);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853071795864f * u2);
}

extern "C" __global__ void init_normal_bf16(lk_half* out, long long n, unsigned long long seed, float std) {
    LK_FOR(i, n) {
        out[i] = float_to_bf16(std * init_normal(seed, i));
    }
}

extern "C" __global__ void init_normal_f32(float* out, long long n, unsigned long long seed, float std) {
    LK_FOR(i, n) {
        out[i] = std * init_normal(seed, i);
    }
}
