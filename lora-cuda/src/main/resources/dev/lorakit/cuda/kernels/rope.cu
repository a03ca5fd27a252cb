// Rotary position embedding in place, Hugging Face's rotate_half layout (element i of a head pairs with
// i + d/2). One thread per pair reads both halves and writes both, so the rotation needs no second buffer;
// `sign` -1 rotates back, which is the backward. The bf16 variant rotates the bf16 decoder's q and k in float
// and rounds once.

template <typename T>
__device__ __forceinline__ void rope_impl(T* x, const float* cos_table, const float* sin_table, long long rows,
        int seq, int heads, int half, int position, float sign) {
    long long pairs_per_row = (long long) heads * half;
    LK_FOR(p, rows * pairs_per_row) {
        long long row = p / pairs_per_row;
        int rest = (int) (p % pairs_per_row);
        int h = rest / half;
        int i = rest % half;
        long long tab = (long long) (position + (int) (row % seq)) * half + i;
        float c = cos_table[tab];
        float s = sign * sin_table[tab];
        long long off = row * (2LL * pairs_per_row) + (long long) h * 2 * half + i;
        float x1 = lk_ld(x, off);
        float x2 = lk_ld(x, off + half);
        lk_st(x, off, x1 * c - x2 * s);
        lk_st(x, off + half, x2 * c + x1 * s);
    }
}

extern "C" __global__ void rope_f32(float* x, const float* cos_table, const float* sin_table, long long rows, int seq,
        int heads, int half, int position, float sign) {
    rope_impl(x, cos_table, sin_table, rows, seq, heads, half, position, sign);
}

extern "C" __global__ void rope_bf16(lk_bf16* x, const float* cos_table, const float* sin_table, long long rows,
        int seq, int heads, int half, int position, float sign) {
    rope_impl(x, cos_table, sin_table, rows, seq, heads, half, position, sign);
}
