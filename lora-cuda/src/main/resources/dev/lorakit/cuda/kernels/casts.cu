// dtype conversions for copy(): fp32 <-> bf16 <-> fp16. Frozen base weights are stored and multiplied in 16
// bits while reductions and LoRA state stay fp32, so these run at every boundary between the two; a kernel of
// its own keeps them one read and one write.

extern "C" __global__ void cast_f32_to_bf16(const float* src, lk_half* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = float_to_bf16(src[i]);
    }
}

extern "C" __global__ void cast_bf16_to_f32(const lk_half* src, float* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = bf16_to_float(src[i]);
    }
}

extern "C" __global__ void cast_f32_to_f16(const float* src, lk_half* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = float_to_f16(src[i]);
    }
}

extern "C" __global__ void cast_f16_to_f32(const lk_half* src, float* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = f16_to_float(src[i]);
    }
}

extern "C" __global__ void cast_bf16_to_f16(const lk_half* src, lk_half* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = float_to_f16(bf16_to_float(src[i]));
    }
}

extern "C" __global__ void cast_f16_to_bf16(const lk_half* src, lk_half* dst, long long n) {
    LK_FOR(i, n) {
        dst[i] = float_to_bf16(f16_to_float(src[i]));
    }
}
