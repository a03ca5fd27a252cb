// Flash attention on tensor cores (FlashAttention-2's algorithm with mma.sync m16n8k16 and ldmatrix) for bf16 q, k,
// v and out with head width 64 or 128, fp32 log-sum-exp and gradients: causal, grouped-query heads, optional
// sliding window. Same arguments and results as flash_attention.cu's bf16 kernels, which stay the reference path:
// the forward writes out and each query row's log-sum-exp, the backward adds (+=) dq, dk, dv. Scores, softmax
// statistics and every product accumulate in fp32; the operands of the second product of each pass (P, dS, and
// the gradient dO) enter it rounded to bf16, as in FlashAttention-2.
//
// Layout of the work (FlashAttention.java uses the same constants):
//   - a block has 4 warps; each warp owns 16 rows (queries in the forward and dQ kernels, keys in the dK/dV
//     kernel; 64 per block) and holds their operands as A fragments in registers for the whole run; lane
//     (g = lane / 4, t = lane % 4) owns rows g and g + 8 of its warp's 16;
//   - the streamed operand's tiles of 64 rows are staged in shared memory as bf16 (rows padded by 16 bytes so the
//     8 rows an ldmatrix reads fall in different banks); products with a tile's transpose take B fragments with
//     ldmatrix, products with the tile itself with ldmatrix.trans, and P's (or dS's) A fragments are the
//     accumulators of the first product repacked in place (the m16n8 C layout of two adjacent column blocks is
//     the m16k16 A layout);
//   - forward, per key tile: m' = max(m, tile max), l = l e^(m-m') + sum e^(s-m'), O = O e^(m-m') + P v;
//     out = O / l, lse = m + log l;
//   - backward, deterministic (no atomics), D = rowsum(dO o O) from flash_attention.cu's row-dot kernel: per 64
//     keys, loop over the group's heads and the query tiles that see them, dV += P^T dO, dK += scale dS^T q; per
//     64 queries, loop over key tiles, dQ += scale dS k; P = e^(scale s - lse), dS = P (dO v^T - D).
//   A warp skips tiles that none of its rows can see.

#define FT_WARPS 4
#define FT_ROWS (16 * FT_WARPS)
#define FT_KEYS 64
#define FT_THREADS (32 * FT_WARPS)

// Two floats as a bf16 pair in one register, the first in the lower half.
__device__ __forceinline__ unsigned ft_pack(float lo, float hi) {
    return (unsigned) float_to_bf16(lo) | ((unsigned) float_to_bf16(hi) << 16);
}

// Rows [r0, r0 + 64) of a row-major matrix (row r at src + (base + r) * stride + col) into a shared tile of row
// stride D + 8, as bf16; rows from `limit` on are zeros, so no NaN of memory past the used rows reaches a product.
template <int D>
__device__ __forceinline__ void ft_stage(lk_half* tile, const lk_half* src, long long base, int r0, int limit,
        long long stride, long long col) {
    for (int i = threadIdx.x; i < FT_KEYS * D / 8; i += FT_THREADS) {
        int rr = i / (D / 8);
        int e = i % (D / 8) * 8;
        uint4 x = make_uint4(0u, 0u, 0u, 0u);
        if (r0 + rr < limit) {
            x = *(const uint4*) (src + (base + r0 + rr) * stride + col + e);
        }
        *(uint4*) (tile + rr * (D + 8) + e) = x;
    }
}

// The same from fp32 (the gradients), rounded to bf16.
template <int D>
__device__ __forceinline__ void ft_stage(lk_half* tile, const float* src, long long base, int r0, int limit,
        long long stride, long long col) {
    for (int i = threadIdx.x; i < FT_KEYS * D / 8; i += FT_THREADS) {
        int rr = i / (D / 8);
        int e = i % (D / 8) * 8;
        uint4 x = make_uint4(0u, 0u, 0u, 0u);
        if (r0 + rr < limit) {
            const float4* p = (const float4*) (src + (base + r0 + rr) * stride + col + e);
            float4 a = p[0];
            float4 c = p[1];
            x = make_uint4(ft_pack(a.x, a.y), ft_pack(a.z, a.w), ft_pack(c.x, c.y), ft_pack(c.z, c.w));
        }
        *(uint4*) (tile + rr * (D + 8) + e) = x;
    }
}

__device__ __forceinline__ unsigned ft_pair(const lk_half* p) {
    return *(const unsigned*) p;
}

__device__ __forceinline__ unsigned ft_pair(const float* p) {
    return ft_pack(p[0], p[1]);
}

// A fragments (16 rows x D) of the rows row0.. of a row-major matrix (row r at p + r * stride); rows from `limit`
// on are zeros. Register r of k block kb: row g + 8 (r & 1), columns kb * 16 + 2t + 8 (r >> 1) and the next.
template <int D, typename T>
__device__ __forceinline__ void ft_a_fragments(unsigned (*f)[4], const T* p, long long stride, int row0, int limit) {
    int g = (threadIdx.x & 31) >> 2;
    int t = threadIdx.x & 3;
#pragma unroll
    for (int kb = 0; kb < D / 16; kb++) {
#pragma unroll
        for (int r = 0; r < 4; r++) {
            int row = row0 + g + 8 * (r & 1);
            f[kb][r] = row < limit ? ft_pair(p + (long long) row * stride + kb * 16 + 2 * t + 8 * (r >> 1)) : 0u;
        }
    }
}

// acc[nb] (16 x 64, fp32) += A (16 x D, fragments a) times B^T, B the 64 x D shared tile (rows = the product's
// columns): ldmatrix's matrices are (rows nb, cols kb*16), (rows nb, +8), (rows nb+1, kb*16), (rows nb+1, +8).
template <int D>
__device__ __forceinline__ void ft_mma_abt(float (*acc)[4], unsigned (*a)[4], const lk_half* tile) {
    int lane = threadIdx.x & 31;
#pragma unroll
    for (int kb = 0; kb < D / 16; kb++) {
#pragma unroll
        for (int nb = 0; nb < FT_KEYS / 8; nb += 2) {
            unsigned bf[4];
            lk_ldmatrix_x4(bf, tile + (nb * 8 + ((lane >> 4) << 3) + (lane & 7)) * (D + 8) + kb * 16
                    + (((lane >> 3) & 1) << 3));
            lk_mma_bf16_16816(acc[nb], a[kb], bf, acc[nb]);
            lk_mma_bf16_16816(acc[nb + 1], a[kb], bf + 2, acc[nb + 1]);
        }
    }
}

// acc (16 x D, fp32) += P B, P the 16 x 64 accumulators p (repacked as A fragments: the m16n8 C layout of two
// adjacent column blocks is the m16k16 A layout), B the 64 x D shared tile: ldmatrix.trans's matrices are
// (rows kb*16, cols nd), (rows +8, nd), (rows kb*16, nd+1), (rows +8, nd+1).
template <int D>
__device__ __forceinline__ void ft_mma_pb(float (*acc)[4], float (*p)[4], const lk_half* tile) {
    int lane = threadIdx.x & 31;
#pragma unroll
    for (int kb = 0; kb < FT_KEYS / 16; kb++) {
        unsigned pa[4] = {ft_pack(p[2 * kb][0], p[2 * kb][1]), ft_pack(p[2 * kb][2], p[2 * kb][3]),
                ft_pack(p[2 * kb + 1][0], p[2 * kb + 1][1]), ft_pack(p[2 * kb + 1][2], p[2 * kb + 1][3])};
#pragma unroll
        for (int nd = 0; nd < D / 8; nd += 2) {
            unsigned bf[4];
            lk_ldmatrix_x4_trans(bf, tile + (kb * 16 + (((lane >> 3) & 1) << 3) + (lane & 7)) * (D + 8) + nd * 8
                    + ((lane >> 4) << 3));
            lk_mma_bf16_16816(acc[nd], pa, bf, acc[nd]);
            lk_mma_bf16_16816(acc[nd + 1], pa, bf + 2, acc[nd + 1]);
        }
    }
}

template <int N>
__device__ __forceinline__ void ft_zero(float (*a)[4]) {
#pragma unroll
    for (int i = 0; i < N; i++) {
        a[i][0] = a[i][1] = a[i][2] = a[i][3] = 0.0f;
    }
}

template <int D>
__device__ __forceinline__ void ft_forward(const lk_half* q, const lk_half* k, const lk_half* v, lk_half* out,
        float* lse, int n, int capacity, int heads, int kv_heads, int position, int kv_length, int window,
        float scale) {
    __shared__ __align__(16) lk_half ks[FT_KEYS * (D + 8)];
    __shared__ __align__(16) lk_half vs[FT_KEYS * (D + 8)];
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    int g = lane >> 2;
    int t = lane & 3;
    int h = blockIdx.y;
    int b = blockIdx.z;
    int kvh = h / (heads / kv_heads);
    int row0 = blockIdx.x * FT_ROWS + warp * 16;
    long long q_stride = (long long) heads * D;
    long long kv_stride = (long long) kv_heads * D;

    unsigned qf[D / 16][4];
    ft_a_fragments<D>(qf, q + (long long) b * n * q_stride + (long long) h * D, q_stride, row0, n);
    float o[D / 8][4];
    ft_zero<D / 8>(o);
    float m[2] = {-INFINITY, -INFINITY};
    float l[2] = {0.0f, 0.0f};
    int pos[2] = {position + row0 + g, position + row0 + g + 8};
    bool active[2] = {row0 + g < n, row0 + g + 8 < n};
    int warp_first = position + row0;
    int warp_last = position + min(row0 + 15, n - 1);

    int first_pos = position + blockIdx.x * FT_ROWS;
    int last_pos = position + min(n, (int) (blockIdx.x + 1) * FT_ROWS) - 1;
    int lo = window > 0 ? max(0, first_pos - window + 1) : 0;
    int hi = min(last_pos, kv_length - 1);
    for (int j0 = lo / FT_KEYS * FT_KEYS; j0 <= hi; j0 += FT_KEYS) {
        __syncthreads();
        ft_stage<D>(ks, k, (long long) b * capacity, j0, hi + 1, kv_stride, (long long) kvh * D);
        ft_stage<D>(vs, v, (long long) b * capacity, j0, hi + 1, kv_stride, (long long) kvh * D);
        __syncthreads();
        if (row0 >= n || j0 > warp_last || (window > 0 && j0 + FT_KEYS - 1 <= warp_first - window)) {
            continue;  // no row of this warp sees a key of this tile (warp-uniform, so the collectives stay whole)
        }
        float s[FT_KEYS / 8][4];
        ft_zero<FT_KEYS / 8>(s);
        ft_mma_abt<D>(s, qf, ks);
        float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int nb = 0; nb < FT_KEYS / 8; nb++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                int r = i >> 1;
                int key = j0 + nb * 8 + 2 * t + (i & 1);
                float x = active[r] && fa_visible(key, pos[r], kv_length, window) ? s[nb][i] * scale : -INFINITY;
                s[nb][i] = x;
                tile_max[r] = fmaxf(tile_max[r], x);
            }
        }
        float m_use[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
            tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
            float m_new = fmaxf(m[r], tile_max[r]);
            m_use[r] = m_new == -INFINITY ? 0.0f : m_new;  // a row that sees nothing yet keeps l = 0, O = 0
            float alpha = expf(m[r] - m_use[r]);
            l[r] *= alpha;
#pragma unroll
            for (int nd = 0; nd < D / 8; nd++) {
                o[nd][2 * r] *= alpha;
                o[nd][2 * r + 1] *= alpha;
            }
            m[r] = m_new;
        }
#pragma unroll
        for (int nb = 0; nb < FT_KEYS / 8; nb++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                float p = expf(s[nb][i] - m_use[i >> 1]);
                l[i >> 1] += p;
                s[nb][i] = p;
            }
        }
        ft_mma_pb<D>(o, s, vs);
    }
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        int row = row0 + g + 8 * r;
        if (row < n) {
            float inv = 1.0f / l[r];
            long long at = ((long long) b * n + row) * q_stride + (long long) h * D + 2 * t;
#pragma unroll
            for (int nd = 0; nd < D / 8; nd++) {
                *(unsigned*) (out + at + nd * 8) = ft_pack(o[nd][2 * r] * inv, o[nd][2 * r + 1] * inv);
            }
            if (lse != 0 && t == 0) {
                lse[((long long) b * heads + h) * n + row] = m[r] + logf(l[r]);
            }
        }
    }
}

// dK and dV for 64 keys (16 per warp, k and v held as A fragments) of one kv head: loops over the query heads of its
// group and the query tiles that see its keys. S^T = k q^T, P^T = e^(scale S^T - lse), dP^T = v dO^T,
// dS^T = P^T (dP^T - D); dV += P^T dO, dK += scale dS^T q. dO is staged as bf16, and P^T and dS^T enter their
// products as bf16, as in FlashAttention-2; everything accumulates in fp32 and is added (+=) to the gradients.
template <int D>
__device__ __forceinline__ void ft_backward_dkdv(const float* dout, const lk_half* q, const lk_half* k,
        const lk_half* v, const float* lse, const float* dsum, float* dk, float* dv, int n, int heads, int kv_heads,
        int window, float scale) {
    __shared__ __align__(16) lk_half qs[FT_KEYS * (D + 8)];
    __shared__ __align__(16) lk_half gs[FT_KEYS * (D + 8)];
    __shared__ float ls[FT_KEYS];
    __shared__ float dd[FT_KEYS];
    int warp = threadIdx.x >> 5;
    int g = (threadIdx.x & 31) >> 2;
    int t = threadIdx.x & 3;
    int kvh = blockIdx.y;
    int b = blockIdx.z;
    int group = heads / kv_heads;
    int key0 = blockIdx.x * FT_ROWS;
    int kw0 = key0 + warp * 16;
    long long q_stride = (long long) heads * D;
    long long kv_stride = (long long) kv_heads * D;
    const long long kv_base = (long long) b * n * kv_stride + (long long) kvh * D;
    unsigned kf[D / 16][4];
    unsigned vf[D / 16][4];
    ft_a_fragments<D>(kf, k + kv_base, kv_stride, kw0, n);
    ft_a_fragments<D>(vf, v + kv_base, kv_stride, kw0, n);
    float dk_acc[D / 8][4];
    float dv_acc[D / 8][4];
    ft_zero<D / 8>(dk_acc);
    ft_zero<D / 8>(dv_acc);
    int keys[2] = {kw0 + g, kw0 + g + 8};
    int last_key = min(n, key0 + FT_ROWS) - 1;
    int i_hi = window > 0 ? min(n - 1, last_key + window - 1) : n - 1;
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        for (int i0 = key0; i0 <= i_hi; i0 += FT_KEYS) {
            __syncthreads();
            ft_stage<D>(qs, q, (long long) b * n, i0, n, q_stride, (long long) h * D);
            ft_stage<D>(gs, dout, (long long) b * n, i0, n, q_stride, (long long) h * D);
            for (int ii = threadIdx.x; ii < FT_KEYS; ii += FT_THREADS) {
                int i = i0 + ii;
                long long r = ((long long) b * heads + h) * n + i;
                ls[ii] = i < n ? lse[r] : 0.0f;
                dd[ii] = i < n ? dsum[r] : 0.0f;
            }
            __syncthreads();
            if (kw0 >= n || i0 + FT_KEYS - 1 < kw0 || (window > 0 && i0 > kw0 + 15 + window - 1)) {
                continue;  // no query of this tile sees a key of this warp (warp-uniform)
            }
            float st[FT_KEYS / 8][4];
            float dpt[FT_KEYS / 8][4];
            ft_zero<FT_KEYS / 8>(st);
            ft_zero<FT_KEYS / 8>(dpt);
            ft_mma_abt<D>(st, kf, qs);
            ft_mma_abt<D>(dpt, vf, gs);
#pragma unroll
            for (int nb = 0; nb < FT_KEYS / 8; nb++) {
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    int ii = nb * 8 + 2 * t + (e & 1);
                    int i = i0 + ii;
                    int j = keys[e >> 1];
                    float p = j < n && i < n && fa_visible(j, i, n, window) ? expf(st[nb][e] * scale - ls[ii]) : 0.0f;
                    st[nb][e] = p;
                    dpt[nb][e] = p * (dpt[nb][e] - dd[ii]);
                }
            }
            ft_mma_pb<D>(dv_acc, st, gs);
            ft_mma_pb<D>(dk_acc, dpt, qs);
        }
    }
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int j = keys[r];
        if (j < n) {
            long long at = kv_base + (long long) j * kv_stride + 2 * t;
#pragma unroll
            for (int nd = 0; nd < D / 8; nd++) {
                dk[at + nd * 8] += scale * dk_acc[nd][2 * r];
                dk[at + nd * 8 + 1] += scale * dk_acc[nd][2 * r + 1];
                dv[at + nd * 8] += dv_acc[nd][2 * r];
                dv[at + nd * 8 + 1] += dv_acc[nd][2 * r + 1];
            }
        }
    }
}

// dQ for 64 queries (16 per warp, q and dO held as A fragments) of one head: loops over the key tiles its queries
// see. S = q k^T, P = e^(scale S - lse), dP = dO v^T, dS = P (dP - D), dQ += scale dS k, added (+=) to dq.
template <int D>
__device__ __forceinline__ void ft_backward_dq(const float* dout, const lk_half* q, const lk_half* k,
        const lk_half* v, const float* lse, const float* dsum, float* dq, int n, int heads, int kv_heads, int window,
        float scale) {
    __shared__ __align__(16) lk_half ks[FT_KEYS * (D + 8)];
    __shared__ __align__(16) lk_half vs[FT_KEYS * (D + 8)];
    int warp = threadIdx.x >> 5;
    int g = (threadIdx.x & 31) >> 2;
    int t = threadIdx.x & 3;
    int h = blockIdx.y;
    int b = blockIdx.z;
    int kvh = h / (heads / kv_heads);
    int q0 = blockIdx.x * FT_ROWS;
    int qw0 = q0 + warp * 16;
    long long q_stride = (long long) heads * D;
    long long kv_stride = (long long) kv_heads * D;
    const long long q_base = (long long) b * n * q_stride + (long long) h * D;
    unsigned qf[D / 16][4];
    unsigned of[D / 16][4];
    ft_a_fragments<D>(qf, q + q_base, q_stride, qw0, n);
    ft_a_fragments<D>(of, dout + q_base, q_stride, qw0, n);
    float dq_acc[D / 8][4];
    ft_zero<D / 8>(dq_acc);
    int rows[2] = {qw0 + g, qw0 + g + 8};
    float li[2];
    float di[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        long long at = ((long long) b * heads + h) * n + rows[r];
        li[r] = rows[r] < n ? lse[at] : 0.0f;
        di[r] = rows[r] < n ? dsum[at] : 0.0f;
    }
    int lo = window > 0 ? max(0, q0 - window + 1) : 0;
    int hi = min(q0 + FT_ROWS, n) - 1;
    for (int j0 = lo / FT_KEYS * FT_KEYS; j0 <= hi; j0 += FT_KEYS) {
        __syncthreads();
        ft_stage<D>(ks, k, (long long) b * n, j0, hi + 1, kv_stride, (long long) kvh * D);
        ft_stage<D>(vs, v, (long long) b * n, j0, hi + 1, kv_stride, (long long) kvh * D);
        __syncthreads();
        if (qw0 >= n || j0 > qw0 + 15 || (window > 0 && j0 + FT_KEYS - 1 <= qw0 - window)) {
            continue;  // no query of this warp sees a key of this tile (warp-uniform)
        }
        float s[FT_KEYS / 8][4];
        float dp[FT_KEYS / 8][4];
        ft_zero<FT_KEYS / 8>(s);
        ft_zero<FT_KEYS / 8>(dp);
        ft_mma_abt<D>(s, qf, ks);
        ft_mma_abt<D>(dp, of, vs);
#pragma unroll
        for (int nb = 0; nb < FT_KEYS / 8; nb++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int r = e >> 1;
                int j = j0 + nb * 8 + 2 * t + (e & 1);
                float p = rows[r] < n && fa_visible(j, rows[r], n, window) ? expf(s[nb][e] * scale - li[r]) : 0.0f;
                s[nb][e] = p * (dp[nb][e] - di[r]);
            }
        }
        ft_mma_pb<D>(dq_acc, s, ks);
    }
#pragma unroll
    for (int r = 0; r < 2; r++) {
        if (rows[r] < n) {
            long long at = q_base + (long long) rows[r] * q_stride + 2 * t;
#pragma unroll
            for (int nd = 0; nd < D / 8; nd++) {
                dq[at + nd * 8] += scale * dq_acc[nd][2 * r];
                dq[at + nd * 8 + 1] += scale * dq_acc[nd][2 * r + 1];
            }
        }
    }
}

// Same arguments as flash_attention.cu's flash_attn_*_bf16_d* (bf16 q, k, v and out, fp32 lse and gradients);
// d must equal the kernel's head width.
#define FT_ENTRY_POINTS(D)                                                                                        \
    extern "C" __global__ void __launch_bounds__(FT_THREADS) flash_attn_tc_fwd_bf16_d##D(const lk_half* q,        \
            const lk_half* k, const lk_half* v, lk_half* out, float* lse, int n, int capacity, int heads,          \
            int kv_heads, int d, int position, int kv_length, int window, float scale) {                           \
        ft_forward<D>(q, k, v, out, lse, n, capacity, heads, kv_heads, position, kv_length, window, scale);      \
    }                                                                                                             \
    extern "C" __global__ void __launch_bounds__(FT_THREADS) flash_attn_tc_bwd_dkdv_bf16_d##D(const float* dout,  \
            const lk_half* q, const lk_half* k, const lk_half* v, const float* lse, const float* dsum, float* dk,  \
            float* dv, int n, int heads, int kv_heads, int d, int window, float scale) {                           \
        ft_backward_dkdv<D>(dout, q, k, v, lse, dsum, dk, dv, n, heads, kv_heads, window, scale);                \
    }                                                                                                             \
    extern "C" __global__ void __launch_bounds__(FT_THREADS) flash_attn_tc_bwd_dq_bf16_d##D(const float* dout,    \
            const lk_half* q, const lk_half* k, const lk_half* v, const float* lse, const float* dsum, float* dq,  \
            int n, int heads, int kv_heads, int d, int window, float scale) {                                      \
        ft_backward_dq<D>(dout, q, k, v, lse, dsum, dq, n, heads, kv_heads, window, scale);                      \
    }

FT_ENTRY_POINTS(64)
FT_ENTRY_POINTS(128)
