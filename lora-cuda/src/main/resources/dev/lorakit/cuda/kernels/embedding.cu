// Token embedding lookup (a gather of table rows) and its backward (a scatter-add, also how the loss chunks'
// gradients go back to their tokens). The backward runs every (written row, column) pair in parallel: the host
// groups the tokens by id (RowScatter.java), and each thread adds its row's tokens in token order, so repeated
// ids sum in a fixed order without atomics: deterministic, and the same order as the CPU backend. Tables may be
// bf16/fp16 (frozen base weights); the output is fp32.

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

// plan = rows[n_rows] | offsets[n_rows + 1] | sources[tokens]: table row rows[g] += d_out rows
// sources[offsets[g] .. offsets[g + 1]), in that order.
extern "C" __global__ void embedding_backward_f32(const float* d_out, const int* plan, float* d_table, int n_rows,
        int hidden) {
    const int* rows = plan;
    const int* offsets = plan + n_rows;
    const int* sources = offsets + n_rows + 1;
    LK_FOR(i, (long long) n_rows * hidden) {
        int g = (int) (i / hidden);
        int c = (int) (i % hidden);
        float* dst = d_table + (long long) rows[g] * hidden + c;
        float acc = *dst;
        for (int k = offsets[g]; k < offsets[g + 1]; k++) {
            acc += d_out[(long long) sources[k] * hidden + c];
        }
        *dst = acc;
    }
}
