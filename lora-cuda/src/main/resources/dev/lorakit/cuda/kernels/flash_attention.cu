// Fused attention, flash-attention style: causal, grouped-query heads, optional sliding window, any head width up
// to 256. No [seq, seq] matrix is ever in memory: the forward streams key tiles through shared memory with an
// online softmax and writes, besides the output, each query row's log-sum-exp; the backward recomputes the
// probabilities from it. Inputs are fp32 or bf16 (converted on load), all arithmetic is fp32. The backward reads
// q, k, v and out in their dtype (T) and the gradients dout, dq, dk, dv in fp32 (G), which is what the bf16
// decoder holds: bf16 activations, fp32 gradients.
//
// Layout of the work (FlashAttention.java and its plain-Java twin in the tests use the same constants):
//   - a block has 128 threads = 32 rows x 4 threads; the 4 threads of a row ("quad") split the head width
//     interleaved (thread r owns elements r, r+4, r+8, ...), so a dot product is 4 partial FMA chains summed by
//     two butterfly shuffles, ((p0+p1)+(p2+p3)) on every lane;
//   - head widths are compiled for caps 64, 128 and 256 (DCAP); a narrower head runs with the elements past d
//     zeroed. Tiles of the streamed operand have 32 rows (16 for the 256 cap, to stay in 48 KiB of shared memory).
//   - forward: one block per (32 query rows, head, batch row); per key tile the scores of the tile, the tile's
//     maximum, then m' = max(m, tile max), l = l e^(m-m') + sum e^(s-m'), acc = acc e^(m-m') + sum e^(s-m') v.
//     out = acc / l, lse = m + log l.
//   - backward, deterministic (no atomics): D = rowsum(dO o O); one block per (32 keys, kv head, batch row) loops
//     over the query heads of its group and the query tiles that see its keys and accumulates dK, dV; another
//     block per (32 queries, head, batch row) loops over key tiles and accumulates dQ. With P = e^(s - lse),
//     dP = dO v, dS = P (dP - D): dV += P dO, dK += scale dS q, dQ += scale dS k. Results are added (+=) to
//     the gradient tensors, as the Backend contract asks.

#define FA_ROWS 32
#define FA_TPR 4
#define FA_THREADS (FA_ROWS * FA_TPR)

__device__ __forceinline__ float fa_load(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ float fa_load(const lk_half* p, long long i) { return bf16_to_float(p[i]); }
__device__ __forceinline__ void fa_store(float* p, long long i, float x) { p[i] = x; }
__device__ __forceinline__ void fa_store(lk_half* p, long long i, float x) { p[i] = float_to_bf16(x); }

__device__ __forceinline__ float fa_quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    v += __shfl_xor_sync(0xffffffffu, v, 2);
    return v;
}

template <int DCAP> struct FaTile { static const int KEYS = DCAP <= 128 ? 32 : 16; };

template <typename T, int DCAP>
__device__ __forceinline__ void fa_forward(const T* q, const T* k, const T* v, T* out, float* lse, int n,
        int capacity, int heads, int kv_heads, int d, int position, int kv_length, int window, float scale) {
    const int C = DCAP / FA_TPR;
    const int BK = FaTile<DCAP>::KEYS;
    __shared__ float ks[BK][DCAP];
    __shared__ float vs[BK][DCAP];
    int tile = blockIdx.x;
    int h = blockIdx.y;
    int b = blockIdx.z;
    int kvh = h / (heads / kv_heads);
    int row = threadIdx.x / FA_TPR;
    int part = threadIdx.x % FA_TPR;
    int t = tile * FA_ROWS + row;
    bool active = t < n;
    int pos = position + t;
    long long q_stride = (long long) heads * d;
    long long kv_stride = (long long) kv_heads * d;
    float qr[C];
    float acc[C];
#pragma unroll
    for (int c = 0; c < C; c++) {
        int e = part + c * FA_TPR;
        qr[c] = active && e < d ? fa_load(q, ((long long) b * n + t) * q_stride + (long long) h * d + e) : 0.0f;
        acc[c] = 0.0f;
    }
    int first_pos = position + tile * FA_ROWS;
    int last_pos = position + min(n, (tile + 1) * FA_ROWS) - 1;
    int lo = window > 0 ? max(0, first_pos - window + 1) : 0;
    int hi = min(last_pos, kv_length - 1);
    float m = -INFINITY;
    float l = 0.0f;
    for (int j0 = lo / BK * BK; j0 <= hi; j0 += BK) {
        __syncthreads();
        for (int i = threadIdx.x; i < BK * DCAP; i += FA_THREADS) {
            int jj = i / DCAP;
            int e = i % DCAP;
            int j = j0 + jj;
            bool ok = j <= hi && e < d;
            long long at = ((long long) b * capacity + j) * kv_stride + (long long) kvh * d + e;
            ks[jj][e] = ok ? fa_load(k, at) : 0.0f;
            vs[jj][e] = ok ? fa_load(v, at) : 0.0f;
        }
        __syncthreads();
        float s[BK];
        float tile_max = -INFINITY;
#pragma unroll
        for (int jj = 0; jj < BK; jj++) {
            float partial = 0.0f;
#pragma unroll
            for (int c = 0; c < C; c++) {
                partial = fmaf(qr[c], ks[jj][part + c * FA_TPR], partial);
            }
            float dot = fa_quad_sum(partial);
            s[jj] = active && fa_visible(j0 + jj, pos, kv_length, window) ? dot * scale : -INFINITY;
            tile_max = fmaxf(tile_max, s[jj]);
        }
        float m_new = fmaxf(m, tile_max);
        if (m_new != -INFINITY) {
            float alpha = expf(m - m_new);
            l *= alpha;
#pragma unroll
            for (int c = 0; c < C; c++) {
                acc[c] *= alpha;
            }
#pragma unroll
            for (int jj = 0; jj < BK; jj++) {
                float p = expf(s[jj] - m_new);
                l += p;
#pragma unroll
                for (int c = 0; c < C; c++) {
                    acc[c] = fmaf(p, vs[jj][part + c * FA_TPR], acc[c]);
                }
            }
            m = m_new;
        }
    }
    if (active) {
        float inv = 1.0f / l;
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = part + c * FA_TPR;
            if (e < d) {
                fa_store(out, ((long long) b * n + t) * q_stride + (long long) h * d + e, acc[c] * inv);
            }
        }
        if (lse != 0 && part == 0) {
            lse[((long long) b * heads + h) * n + t] = m + logf(l);
        }
    }
}

// D[b, h, t] = sum_e dO[b*n+t, h*d+e] * O[b*n+t, h*d+e], one FMA chain in element order.
template <typename T, typename G>
__device__ __forceinline__ void fa_row_dot(const G* dout, const T* out, float* dsum, int batch, int n, int heads,
        int d) {
    long long rows = (long long) batch * heads * n;
    LK_FOR(r, rows) {
        int t = (int) (r % n);
        long long bh = r / n;
        int h = (int) (bh % heads);
        int b = (int) (bh / heads);
        long long at = ((long long) b * n + t) * ((long long) heads * d) + (long long) h * d;
        float acc = 0.0f;
        for (int e = 0; e < d; e++) {
            acc = fmaf(fa_load(dout, at + e), fa_load(out, at + e), acc);
        }
        dsum[r] = acc;
    }
}

template <typename T, typename G, int DCAP>
__device__ __forceinline__ void fa_backward_dkdv(const G* dout, const T* q, const T* k, const T* v, const float* lse,
        const float* dsum, G* dk, G* dv, int n, int heads, int kv_heads, int d, int window, float scale) {
    const int C = DCAP / FA_TPR;
    const int BQ = FaTile<DCAP>::KEYS;
    __shared__ float qs[BQ][DCAP];
    __shared__ float gs[BQ][DCAP];
    __shared__ float ls[BQ];
    __shared__ float dd[BQ];
    int tile = blockIdx.x;
    int kvh = blockIdx.y;
    int b = blockIdx.z;
    int group = heads / kv_heads;
    int row = threadIdx.x / FA_TPR;
    int part = threadIdx.x % FA_TPR;
    int j = tile * FA_ROWS + row;
    bool active = j < n;
    long long q_stride = (long long) heads * d;
    long long kv_stride = (long long) kv_heads * d;
    long long kv_at = ((long long) b * n + j) * kv_stride + (long long) kvh * d;
    float kr[C];
    float vr[C];
    float dk_acc[C];
    float dv_acc[C];
#pragma unroll
    for (int c = 0; c < C; c++) {
        int e = part + c * FA_TPR;
        kr[c] = active && e < d ? fa_load(k, kv_at + e) : 0.0f;
        vr[c] = active && e < d ? fa_load(v, kv_at + e) : 0.0f;
        dk_acc[c] = 0.0f;
        dv_acc[c] = 0.0f;
    }
    int first_key = tile * FA_ROWS;
    int last_key = min(n, (tile + 1) * FA_ROWS) - 1;
    int i_hi = window > 0 ? min(n - 1, last_key + window - 1) : n - 1;
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        for (int i0 = first_key / BQ * BQ; i0 <= i_hi; i0 += BQ) {
            __syncthreads();
            for (int x = threadIdx.x; x < BQ * DCAP; x += FA_THREADS) {
                int ii = x / DCAP;
                int e = x % DCAP;
                int i = i0 + ii;
                bool ok = i < n && e < d;
                long long at = ((long long) b * n + i) * q_stride + (long long) h * d + e;
                qs[ii][e] = ok ? fa_load(q, at) : 0.0f;
                gs[ii][e] = ok ? fa_load(dout, at) : 0.0f;
            }
            for (int ii = threadIdx.x; ii < BQ; ii += FA_THREADS) {
                int i = i0 + ii;
                long long r = ((long long) b * heads + h) * n + i;
                ls[ii] = i < n ? lse[r] : 0.0f;
                dd[ii] = i < n ? dsum[r] : 0.0f;
            }
            __syncthreads();
            for (int ii = 0; ii < BQ; ii++) {
                float ps = 0.0f;
                float pd = 0.0f;
#pragma unroll
                for (int c = 0; c < C; c++) {
                    ps = fmaf(kr[c], qs[ii][part + c * FA_TPR], ps);
                    pd = fmaf(vr[c], gs[ii][part + c * FA_TPR], pd);
                }
                float s = fa_quad_sum(ps);
                float dp = fa_quad_sum(pd);
                int i = i0 + ii;
                if (active && i < n && fa_visible(j, i, n, window)) {
                    float p = expf(s * scale - ls[ii]);
                    float ds = p * (dp - dd[ii]) * scale;
#pragma unroll
                    for (int c = 0; c < C; c++) {
                        dv_acc[c] = fmaf(p, gs[ii][part + c * FA_TPR], dv_acc[c]);
                        dk_acc[c] = fmaf(ds, qs[ii][part + c * FA_TPR], dk_acc[c]);
                    }
                }
            }
        }
    }
    if (active) {
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = part + c * FA_TPR;
            if (e < d) {
                fa_store(dk, kv_at + e, fa_load(dk, kv_at + e) + dk_acc[c]);
                fa_store(dv, kv_at + e, fa_load(dv, kv_at + e) + dv_acc[c]);
            }
        }
    }
}

template <typename T, typename G, int DCAP>
__device__ __forceinline__ void fa_backward_dq(const G* dout, const T* q, const T* k, const T* v, const float* lse,
        const float* dsum, G* dq, int n, int heads, int kv_heads, int d, int window, float scale) {
    const int C = DCAP / FA_TPR;
    const int BK = FaTile<DCAP>::KEYS;
    __shared__ float ks[BK][DCAP];
    __shared__ float vs[BK][DCAP];
    int tile = blockIdx.x;
    int h = blockIdx.y;
    int b = blockIdx.z;
    int kvh = h / (heads / kv_heads);
    int row = threadIdx.x / FA_TPR;
    int part = threadIdx.x % FA_TPR;
    int i = tile * FA_ROWS + row;
    bool active = i < n;
    long long q_stride = (long long) heads * d;
    long long kv_stride = (long long) kv_heads * d;
    long long q_at = ((long long) b * n + i) * q_stride + (long long) h * d;
    float qr[C];
    float gr[C];
    float dq_acc[C];
#pragma unroll
    for (int c = 0; c < C; c++) {
        int e = part + c * FA_TPR;
        qr[c] = active && e < d ? fa_load(q, q_at + e) : 0.0f;
        gr[c] = active && e < d ? fa_load(dout, q_at + e) : 0.0f;
        dq_acc[c] = 0.0f;
    }
    long long r = ((long long) b * heads + h) * n + i;
    float li = active ? lse[r] : 0.0f;
    float di = active ? dsum[r] : 0.0f;
    int first_q = tile * FA_ROWS;
    int last_q = min(n, (tile + 1) * FA_ROWS) - 1;
    int lo = window > 0 ? max(0, first_q - window + 1) : 0;
    for (int j0 = lo / BK * BK; j0 <= last_q; j0 += BK) {
        __syncthreads();
        for (int x = threadIdx.x; x < BK * DCAP; x += FA_THREADS) {
            int jj = x / DCAP;
            int e = x % DCAP;
            int j = j0 + jj;
            bool ok = j <= last_q && e < d;
            long long at = ((long long) b * n + j) * kv_stride + (long long) kvh * d + e;
            ks[jj][e] = ok ? fa_load(k, at) : 0.0f;
            vs[jj][e] = ok ? fa_load(v, at) : 0.0f;
        }
        __syncthreads();
        for (int jj = 0; jj < BK; jj++) {
            float ps = 0.0f;
            float pd = 0.0f;
#pragma unroll
            for (int c = 0; c < C; c++) {
                ps = fmaf(qr[c], ks[jj][part + c * FA_TPR], ps);
                pd = fmaf(gr[c], vs[jj][part + c * FA_TPR], pd);
            }
            float s = fa_quad_sum(ps);
            float dp = fa_quad_sum(pd);
            if (active && fa_visible(j0 + jj, i, n, window)) {
                float p = expf(s * scale - li);
                float ds = p * (dp - di) * scale;
#pragma unroll
                for (int c = 0; c < C; c++) {
                    dq_acc[c] = fmaf(ds, ks[jj][part + c * FA_TPR], dq_acc[c]);
                }
            }
        }
    }
    if (active) {
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = part + c * FA_TPR;
            if (e < d) {
                fa_store(dq, q_at + e, fa_load(dq, q_at + e) + dq_acc[c]);
            }
        }
    }
}

// NAME: the kernels' suffix; T: the dtype of q, k, v and out; G: the dtype of the gradients (fp32 for both).
#define FA_ENTRY_POINTS(NAME, T, G, DCAP)                                                                           \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_fwd_##NAME##_d##DCAP(const T* q,          \
            const T* k, const T* v, T* out, float* lse, int n, int capacity, int heads, int kv_heads, int d,       \
            int position, int kv_length, int window, float scale) {                                                \
        fa_forward<T, DCAP>(q, k, v, out, lse, n, capacity, heads, kv_heads, d, position, kv_length, window,      \
                scale);                                                                                           \
    }                                                                                                             \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dkdv_##NAME##_d##DCAP(const G* dout,  \
            const T* q, const T* k, const T* v, const float* lse, const float* dsum, G* dk, G* dv, int n,          \
            int heads, int kv_heads, int d, int window, float scale) {                                             \
        fa_backward_dkdv<T, G, DCAP>(dout, q, k, v, lse, dsum, dk, dv, n, heads, kv_heads, d, window, scale);     \
    }                                                                                                             \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dq_##NAME##_d##DCAP(const G* dout,    \
            const T* q, const T* k, const T* v, const float* lse, const float* dsum, G* dq, int n, int heads,      \
            int kv_heads, int d, int window, float scale) {                                                        \
        fa_backward_dq<T, G, DCAP>(dout, q, k, v, lse, dsum, dq, n, heads, kv_heads, d, window, scale);           \
    }

FA_ENTRY_POINTS(f32, float, float, 64)
FA_ENTRY_POINTS(f32, float, float, 128)
FA_ENTRY_POINTS(f32, float, float, 256)
FA_ENTRY_POINTS(bf16, lk_half, float, 64)
FA_ENTRY_POINTS(bf16, lk_half, float, 128)
FA_ENTRY_POINTS(bf16, lk_half, float, 256)

extern "C" __global__ void flash_attn_row_dot_f32(const float* dout, const float* out, float* dsum, int batch, int n,
        int heads, int d) {
    fa_row_dot<float, float>(dout, out, dsum, batch, n, heads, d);
}

extern "C" __global__ void flash_attn_row_dot_bf16(const float* dout, const lk_half* out, float* dsum, int batch,
        int n, int heads, int d) {
    fa_row_dot<lk_half, float>(dout, out, dsum, batch, n, heads, d);
}
