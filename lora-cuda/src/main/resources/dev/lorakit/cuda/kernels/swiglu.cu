// The MLP's gate: out = silu(gate) * up, and its backward, each one elementwise pass. Fusing silu with the
// product saves writing silu(gate) out and reading it back; the backward recomputes the sigmoid rather than
// storing it, since the pass is bound by memory, not arithmetic.

extern "C" __global__ void swiglu_f32(const float* gate, const float* up, float* out, long long n) {
    LK_FOR(i, n) {
        float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

extern "C" __global__ void swiglu_bf16(const lk_half* gate, const lk_half* up, lk_half* out, long long n) {
    LK_FOR(i, n) {
        float g = bf16_to_float(gate[i]);
        out[i] = float_to_bf16(g / (1.0f + expf(-g)) * bf16_to_float(up[i]));
    }
}

extern "C" __global__ void swiglu_backward_f32(const float* d_out, const float* gate, const float* up, float* d_gate,
        float* d_up, long long n) {
    LK_FOR(i, n) {
        float g = gate[i];
        float sig = 1.0f / (1.0f + expf(-g));
        float d = d_out[i];
        d_gate[i] += d * up[i] * sig * (1.0f + g * (1.0f - sig));
        d_up[i] += d * g * sig;
    }
}
