// Token embedding lookup (a gather of table rows) and its backward (a scatter-add). The backward gives each
// thread one column and walks the tokens in order, so repeated ids sum in a fixed order without atomics:
// deterministic, and the same order as the CPU backend. Tables may be bf16/fp16 (frozen base weights); the
// output is fp32.

extern "C" __global__ void embedding_f32(const float* table, const int* ids, float* out, long long tokens, int hidden) {
    LK_FOR(i, tokens * hidden) {
        long long t = i / hidden;
        int c = (int) (i % hidden);
        out[i] = table[(long long) ids[t] * hidden + c];
    }
}

extern "C" __global__ void embedding_bf16(const lk_half* table, const int* ids, float* out, long long tokens,
        int hidden) {
    LK_FOR(i, tokens * hidden) {
        long long t = i / hidden;
        int c = (int) (i % hidden);
        out[i] = bf16_to_float(table[(long long) ids[t] * hidden + c]);
    }
}

extern "C" __global__ void embedding_f16(const lk_half* table, const int* ids, float* out, long long tokens,
        int hidden) {
    LK_FOR(i, tokens * hidden) {
        long long t = i / hidden;
        int c = (int) (i % hidden);
        out[i] = f16_to_float(table[(long long) ids[t] * hidden + c]);
    }
}

extern "C" __global__ void embedding_backward_f32(const float* d_out, const int* ids, float* d_table, int tokens,
        int hidden) {
    LK_FOR(c, (long long) hidden) {
        for (int t = 0; t < tokens; t++) {
            long long row = (long long) ids[t] * hidden;
            d_table[row + c] += d_out[(long long) t * hidden + c];
        }
    }
}
