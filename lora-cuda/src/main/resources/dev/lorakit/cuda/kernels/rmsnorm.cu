// RMSNorm over the last dimension, one block per row: the mean square is reduced in double (as on the CPU)
// and the normalise-and-weight is fused into the same pass, so x is read twice from cache and written once.
// The input and output dtypes are independent (the bf16 decoder norms its float32 residual stream into bf16
// activations); the weight and the statistics are float32. The forward keeps 1/rms per row; the backward
// reuses it instead of reducing again. dWeight is a column reduction over rows, done by one thread per column in
// row order (deterministic, no atomics).

template <typename TX, typename TO>
__device__ __forceinline__ void rmsnorm_impl(const TX* x, const float* weight, TO* out, float* rstd, int hidden,
        float eps) {
    __shared__ double scratch[32];
    long long off = (long long) blockIdx.x * hidden;
    double ss = 0.0;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        double v = (double) lk_ld(x, off + i);
        ss += v * v;
    }
    ss = block_sum(ss, scratch);
    double inv = 1.0 / sqrt(ss / hidden + (double) eps);
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        lk_st(out, off + i, (float) ((double) weight[i] * ((double) lk_ld(x, off + i) * inv)));
    }
    if (rstd != 0 && threadIdx.x == 0) {
        rstd[blockIdx.x] = (float) inv;
    }
}

extern "C" __global__ void rmsnorm_f32(const float* x, const float* weight, float* out, float* rstd, int hidden,
        float eps) {
    rmsnorm_impl(x, weight, out, rstd, hidden, eps);
}

extern "C" __global__ void rmsnorm_bf16(const lk_bf16* x, const float* weight, lk_bf16* out, float* rstd, int hidden,
        float eps) {
    rmsnorm_impl(x, weight, out, rstd, hidden, eps);
}

extern "C" __global__ void rmsnorm_f32_to_bf16(const float* x, const float* weight, lk_bf16* out, float* rstd,
        int hidden, float eps) {
    rmsnorm_impl(x, weight, out, rstd, hidden, eps);
}

extern "C" __global__ void rmsnorm_bf16_to_f32(const lk_bf16* x, const float* weight, float* out, float* rstd,
        int hidden, float eps) {
    rmsnorm_impl(x, weight, out, rstd, hidden, eps);
}

// dx += inv * g * w - inv^3 * (sum g*w*x) / hidden * x
extern "C" __global__ void rmsnorm_backward_f32(const float* d_out, const float* x, const float* weight,
        const float* rstd, float* dx, int hidden) {
    __shared__ double scratch[32];
    long long off = (long long) blockIdx.x * hidden;
    double dot = 0.0;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        dot += (double) d_out[off + i] * weight[i] * x[off + i];
    }
    dot = block_sum(dot, scratch);
    double inv = (double) rstd[blockIdx.x];
    double c = inv * inv * inv * dot / hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        dx[off + i] += (float) (inv * d_out[off + i] * weight[i] - c * x[off + i]);
    }
}

extern "C" __global__ void rmsnorm_dweight_f32(const float* d_out, const float* x, const float* rstd,
        float* d_weight, int rows, int hidden) {
    LK_FOR(i, (long long) hidden) {
        double acc = 0.0;
        for (int r = 0; r < rows; r++) {
            long long at = (long long) r * hidden + i;
            acc += (double) d_out[at] * x[at] * rstd[r];
        }
        d_weight[i] += (float) acc;
    }
}
