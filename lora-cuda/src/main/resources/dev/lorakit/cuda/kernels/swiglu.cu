// The MLP's gate: out = silu(gate) * up, and its backward, each one elementwise pass. Fusing silu with the
// product saves writing silu(gate) out and reading it back; the backward recomputes the sigmoid rather than
// storing it, since the pass is bound by memory, not arithmetic. In the bf16 decoder gate, up and out are bf16
// and the gradients float32.

template <typename T>
__device__ __forceinline__ void swiglu_impl(const T* gate, const T* up, T* out, long long n) {
    LK_FOR(i, n) {
        float g = lk_ld(gate, i);
        lk_st(out, i, g / (1.0f + expf(-g)) * lk_ld(up, i));
    }
}

extern "C" __global__ void swiglu_f32(const float* gate, const float* up, float* out, long long n) {
    swiglu_impl(gate, up, out, n);
}

extern "C" __global__ void swiglu_bf16(const lk_bf16* gate, const lk_bf16* up, lk_bf16* out, long long n) {
    swiglu_impl(gate, up, out, n);
}

template <typename T>
__device__ __forceinline__ void swiglu_backward_impl(const float* d_out, const T* gate, const T* up, float* d_gate,
        float* d_up, long long n) {
    LK_FOR(i, n) {
        float g = lk_ld(gate, i);
        float sig = 1.0f / (1.0f + expf(-g));
        float d = d_out[i];
        d_gate[i] += d * lk_ld(up, i) * sig * (1.0f + g * (1.0f - sig));
        d_up[i] += d * g * sig;
    }
}

extern "C" __global__ void swiglu_backward_f32(const float* d_out, const float* gate, const float* up, float* d_gate,
        float* d_up, long long n) {
    swiglu_backward_impl(d_out, gate, up, d_gate, d_up, n);
}

extern "C" __global__ void swiglu_backward_bf16(const float* d_out, const lk_bf16* gate, const lk_bf16* up,
        float* d_gate, float* d_up, long long n) {
    swiglu_backward_impl(d_out, gate, up, d_gate, d_up, n);
}
