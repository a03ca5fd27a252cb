// Random weights generated on the GPU, for benchmarks of full-size shapes without a 13 GB file: the arithmetic of
// lora-core's RandomWeights, element for element. Element i of tensor `stream` is offset + scale * (2u - 1), u a
// uniform double in [0, 1) from SplitMix64's finaliser over seed * G + stream * D + (i + 1) * G; computed in double
// with explicitly rounded operations (no fused multiply-add, which the Java side does not do) and rounded once to
// float, so every value is the bit the Java code computes.

__device__ __forceinline__ double init_uniform(unsigned long long seed, unsigned long long stream, long long i) {
    unsigned long long z = seed * 0x9E3779B97F4A7C15ULL + stream * 0xD1B54A32D192ED03ULL
        + (unsigned long long) (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return __dmul_rn((double) (z >> 11), 0x1.0p-53);
}

__device__ __forceinline__ float init_value(
        unsigned long long seed, unsigned long long stream, long long i, double offset, double scale) {
    double u = __dadd_rn(__dmul_rn(2.0, init_uniform(seed, stream, i)), -1.0);
    return __double2float_rn(__dadd_rn(offset, __dmul_rn(scale, u)));
}

extern "C" __global__ void init_uniform_bf16(lk_half* out, long long n, unsigned long long seed,
        unsigned long long stream, double offset, double scale) {
    LK_FOR(i, n) {
        out[i] = float_to_bf16(init_value(seed, stream, i, offset, scale));
    }
}

extern "C" __global__ void init_uniform_f32(float* out, long long n, unsigned long long seed,
        unsigned long long stream, double offset, double scale) {
    LK_FOR(i, n) {
        out[i] = init_value(seed, stream, i, offset, scale);
    }
}
