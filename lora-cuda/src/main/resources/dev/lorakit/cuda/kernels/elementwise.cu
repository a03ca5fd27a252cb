// Elementwise ops on fp32: the residual add, axpy (gradient accumulation, LoRA scaling), scale, and inverted
// dropout. Each is one pass over memory; nothing to fuse beyond keeping dropout's mask implicit (recomputed
// from seed and index, never stored), so the backward is the same kernel on the gradient. fill and zeros are
// cuMemsetD32Async/cuMemsetD8Async, not kernels.

extern "C" __global__ void add_f32(const float* a, const float* b, float* out, long long n) {
    LK_FOR(i, n) {
        out[i] = a[i] + b[i];
    }
}

// y += alpha * x with one rounding, as the CPU backend's Vector API fma.
extern "C" __global__ void add_scaled_f32(const float* x, float alpha, float* y, long long n) {
    LK_FOR(i, n) {
        y[i] = fmaf(alpha, x[i], y[i]);
    }
}

// x *= s; s == 0 writes zeros so that NaN garbage is cleared, as on the CPU.
extern "C" __global__ void scale_f32(float* x, float s, long long n) {
    LK_FOR(i, n) {
        x[i] = s == 0.0f ? 0.0f : x[i] * s;
    }
}

// SplitMix64's finaliser on (seed, index), the same stream as the CPU backend: the masks agree bit for bit.
__device__ __forceinline__ double lk_uniform(unsigned long long seed, unsigned long long index) {
    unsigned long long z = seed + (index + 1ull) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    return (double) (z >> 11) * 0x1.0p-53;
}

template <typename T>
__device__ __forceinline__ void dropout_impl(const T* x, T* out, long long n, float p, float keep_scale,
        unsigned long long seed) {
    LK_FOR(i, n) {
        lk_st(out, i, lk_uniform(seed, (unsigned long long) i) < (double) p ? 0.0f : lk_ld(x, i) * keep_scale);
    }
}

extern "C" __global__ void dropout_f32(const float* x, float* out, long long n, float p, float keep_scale,
        unsigned long long seed) {
    dropout_impl(x, out, n, p, keep_scale, seed);
}

// The LoRA path's dropout on bf16 activations (the mask is the same as for f32: it depends on seed and index).
extern "C" __global__ void dropout_bf16(const lk_bf16* x, lk_bf16* out, long long n, float p, float keep_scale,
        unsigned long long seed) {
    dropout_impl(x, out, n, p, keep_scale, seed);
}

// dst[i, dst_col + j] = src[i, src_col + j] for rows x cols elements, the matrices src_width and dst_width wide: how
// the decoder stacks the LoRA A matrices (rows == 1) and splits one X A^T product into per-projection columns. A
// copy of bits, so one kernel per element width serves F32 (b32) and BF16/F16 (b16).
template <typename T>
__device__ __forceinline__ void copy_columns_impl(const T* src, long long src_width, long long src_col, T* dst,
        long long dst_width, long long dst_col, long long rows, long long cols) {
    LK_FOR(i, rows * cols) {
        long long r = i / cols;
        long long c = i - r * cols;
        dst[r * dst_width + dst_col + c] = src[r * src_width + src_col + c];
    }
}

extern "C" __global__ void copy_columns_b32(const unsigned int* src, long long src_width, long long src_col,
        unsigned int* dst, long long dst_width, long long dst_col, long long rows, long long cols) {
    copy_columns_impl(src, src_width, src_col, dst, dst_width, dst_col, rows, cols);
}

extern "C" __global__ void copy_columns_b16(const unsigned short* src, long long src_width, long long src_col,
        unsigned short* dst, long long dst_width, long long dst_col, long long rows, long long cols) {
    copy_columns_impl(src, src_width, src_col, dst, dst_width, dst_col, rows, cols);
}
