// Attention as cuBLAS batched GEMMs around these kernels. The layout kernels move q/k/v between the model's
// [tokens, heads * d] rows and per-head [batch * heads, seq, d] blocks so that one strided-batched GEMM covers
// every (batch row, head); k and v are expanded from kv heads to query heads there (GQA), and the backward's
// per-query-head dk/dv are summed back per kv head in a fixed order. The softmax kernel applies the causal
// mask and the sliding window (key j visible from position p iff j <= p and p - window < j), normalises in
// place and keeps each row's log-sum-exp, from which the backward rebuilds the probabilities (flash-attention
// style, so forward activations hold no [seq, seq] matrix). A fused flash kernel can replace the whole set
// later; these are the reference the fused one will be tested against.

// dst[b, h, t, :] = src[b * rows_per_batch + t, (h / group) * d : +d] for t < used_rows. The head blocks are
// float32 whatever the model's activation dtype, so the GEMMs and the softmax below run in float32.
template <typename T>
__device__ __forceinline__ void split_heads_impl(const T* src, float* dst, int batch, int rows_per_batch,
        int used_rows, int src_heads, int group, int d) {
    int heads = src_heads * group;
    long long total = (long long) batch * heads * used_rows * d;
    LK_FOR(i, total) {
        int e = (int) (i % d);
        long long r = i / d;
        int t = (int) (r % used_rows);
        long long bh = r / used_rows;
        int h = (int) (bh % heads);
        int b = (int) (bh / heads);
        dst[i] = lk_ld(src, ((long long) b * rows_per_batch + t) * ((long long) src_heads * d)
                + (long long) (h / group) * d + e);
    }
}

extern "C" __global__ void attn_split_heads(const float* src, float* dst, int batch, int rows_per_batch,
        int used_rows, int src_heads, int group, int d) {
    split_heads_impl(src, dst, batch, rows_per_batch, used_rows, src_heads, group, d);
}

extern "C" __global__ void attn_split_heads_bf16(const lk_bf16* src, float* dst, int batch, int rows_per_batch,
        int used_rows, int src_heads, int group, int d) {
    split_heads_impl(src, dst, batch, rows_per_batch, used_rows, src_heads, group, d);
}

// dst[b * n + t, h * d + e] (= or +=) src[b, h, t, e].
template <typename T>
__device__ __forceinline__ void merge_heads_impl(const float* src, T* dst, int batch, int n, int heads, int d,
        int accumulate) {
    long long total = (long long) batch * heads * n * d;
    LK_FOR(i, total) {
        int e = (int) (i % d);
        long long r = i / d;
        int t = (int) (r % n);
        long long bh = r / n;
        int h = (int) (bh % heads);
        int b = (int) (bh / heads);
        long long at = ((long long) b * n + t) * ((long long) heads * d) + (long long) h * d + e;
        lk_st(dst, at, accumulate ? lk_ld(dst, at) + src[i] : src[i]);
    }
}

extern "C" __global__ void attn_merge_heads(const float* src, float* dst, int batch, int n, int heads, int d,
        int accumulate) {
    merge_heads_impl(src, dst, batch, n, heads, d, accumulate);
}

extern "C" __global__ void attn_merge_heads_bf16(const float* src, lk_bf16* dst, int batch, int n, int heads, int d,
        int accumulate) {
    merge_heads_impl(src, dst, batch, n, heads, d, accumulate);
}

// dst[b * n + t, g * d + e] += sum over the group's query heads r of src[b, g * group + r, t, e].
extern "C" __global__ void attn_group_sum_add(const float* src, float* dst, int batch, int n, int kv_heads, int group,
        int d) {
    long long total = (long long) batch * n * kv_heads * d;
    int heads = kv_heads * group;
    LK_FOR(i, total) {
        int e = (int) (i % d);
        long long r = i / d;
        int g = (int) (r % kv_heads);
        long long bt = r / kv_heads;
        int t = (int) (bt % n);
        int b = (int) (bt / n);
        float acc = 0.0f;
        for (int q = 0; q < group; q++) {
            acc += src[(((long long) b * heads + (long long) g * group + q) * n + t) * d + e];
        }
        dst[i] += acc;
    }
}

__device__ __forceinline__ bool attn_visible(int j, int pos, int window) {
    return j <= pos && (window <= 0 || pos - window < j);
}

// One block per score row (b, h, t) of scores [batch * heads, n, keys], already scaled by 1/sqrt(d):
// softmax over the visible keys in place (0 elsewhere); lse[row] = log-sum-exp of the visible scores.
extern "C" __global__ void attn_softmax(float* scores, float* lse, int n, int keys, int position, int window) {
    __shared__ float fscratch[32];
    __shared__ double dscratch[32];
    long long row = blockIdx.x;
    int pos = position + (int) (row % n);
    float* s = scores + row * keys;
    float max = -INFINITY;
    for (int j = threadIdx.x; j < keys; j += blockDim.x) {
        if (attn_visible(j, pos, window)) {
            max = fmaxf(max, s[j]);
        }
    }
    max = block_max(max, fscratch);
    double sum = 0.0;
    for (int j = threadIdx.x; j < keys; j += blockDim.x) {
        if (attn_visible(j, pos, window)) {
            sum += exp((double) s[j] - max);
        }
    }
    sum = block_sum(sum, dscratch);
    double log_sum = (double) max + log(sum);
    for (int j = threadIdx.x; j < keys; j += blockDim.x) {
        s[j] = attn_visible(j, pos, window) ? (float) exp((double) s[j] - log_sum) : 0.0f;
    }
    if (lse != 0 && threadIdx.x == 0) {
        lse[row] = (float) log_sum;
    }
}

// The backward's probabilities from saved log-sum-exps: p = exp(s - lse[row]) where visible, else 0. Query t of
// each row block sits at position + t, as in attn_softmax.
extern "C" __global__ void attn_probs_from_lse(float* scores, const float* lse, long long rows, int n, int keys,
        int position, int window) {
    LK_FOR(i, rows * keys) {
        long long row = i / keys;
        int j = (int) (i % keys);
        int pos = position + (int) (row % n);
        scores[i] = attn_visible(j, pos, window) ? (float) exp((double) scores[i] - (double) lse[row]) : 0.0f;
    }
}

// row_dot[b, h, t] = dOut[b * n + t, h*d : +d] . out[b * n + t, h*d : +d]  (softmax backward's correction term).
template <typename T>
__device__ __forceinline__ void row_dot_impl(const float* d_out, const T* out, float* row_dot, int batch, int n,
        int heads, int d) {
    LK_FOR(r, (long long) batch * heads * n) {
        int t = (int) (r % n);
        long long bh = r / n;
        int h = (int) (bh % heads);
        int b = (int) (bh / heads);
        long long off = ((long long) b * n + t) * ((long long) heads * d) + (long long) h * d;
        float acc = 0.0f;
        for (int e = 0; e < d; e++) {
            acc = fmaf(d_out[off + e], lk_ld(out, off + e), acc);
        }
        row_dot[r] = acc;
    }
}

extern "C" __global__ void attn_row_dot(const float* d_out, const float* out, float* row_dot, int batch, int n,
        int heads, int d) {
    row_dot_impl(d_out, out, row_dot, batch, n, heads, d);
}

extern "C" __global__ void attn_row_dot_bf16(const float* d_out, const lk_bf16* out, float* row_dot, int batch, int n,
        int heads, int d) {
    row_dot_impl(d_out, out, row_dot, batch, n, heads, d);
}

// dS = P * (dP - row_dot[row]) * scale, in place over dP.
extern "C" __global__ void attn_dscores(const float* probs, float* dp, const float* row_dot, long long rows, int keys,
        float scale) {
    LK_FOR(i, rows * keys) {
        dp[i] = probs[i] * (dp[i] - row_dot[i / keys]) * scale;
    }
}
