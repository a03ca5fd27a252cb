// Flash attention forward on tensor cores (FlashAttention-2's algorithm with mma.sync m16n8k16 and ldmatrix) for
// bf16 q, k, v and out with head width 64 or 128: causal, grouped-query heads, optional sliding window. Scores,
// the online softmax and the output accumulate in fp32; the probabilities enter the P V product rounded to bf16,
// as in FlashAttention-2. Writes out and each query row's log-sum-exp exactly as flash_attention.cu's forward
// does (same arguments, same meaning), so that file's backward consumes them; it stays the reference path.
//
// Layout of the work (FlashAttention.java uses the same constants):
//   - a block has 4 warps; each warp owns 16 query rows (64 per block) and holds their q as A fragments in
//     registers for the whole run; lane (g = lane / 4, t = lane % 4) owns rows g and g + 8 of its warp's 16;
//   - key and value tiles of 64 rows are staged in shared memory as bf16 (rows padded by 16 bytes so the 8
//     rows an ldmatrix reads fall in different banks); S = q k^T takes B fragments from k with ldmatrix, O += P v
//     from v with ldmatrix.trans, and P's A fragments are S's accumulators repacked in place (the m16n8 C layout
//     of two adjacent key blocks is the m16k16 A layout);
//   - per tile: m' = max(m, tile max), l = l e^(m-m') + sum e^(s-m'), O = O e^(m-m') + P v; out = O / l,
//     lse = m + log l. A warp skips tiles that no key of which its rows can see.

#define FT_WARPS 4
#define FT_ROWS (16 * FT_WARPS)
#define FT_KEYS 64
#define FT_THREADS (32 * FT_WARPS)

// Two floats as a bf16 pair in one register, the first in the lower half.
__device__ __forceinline__ unsigned ft_pack(float lo, float hi) {
    return (unsigned) float_to_bf16(lo) | ((unsigned) float_to_bf16(hi) << 16);
}

template <int D>
__device__ __forceinline__ void ft_forward(const lk_half* q, const lk_half* k, const lk_half* v, lk_half* out,
        float* lse, int n, int capacity, int heads, int kv_heads, int position, int kv_length, int window,
        float scale) {
    const int S = D + 8;  // shared row stride in elements: 16-byte aligned rows, consecutive rows 4 banks apart
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
#pragma unroll
    for (int kb = 0; kb < D / 16; kb++) {
#pragma unroll
        for (int r = 0; r < 4; r++) {
            int row = row0 + g + 8 * (r & 1);
            int col = kb * 16 + 2 * t + 8 * (r >> 1);
            qf[kb][r] = row < n ? *(const unsigned*) (q + ((long long) b * n + row) * q_stride + (long long) h * D
                    + col) : 0u;
        }
    }
    float o[D / 8][4];
#pragma unroll
    for (int nd = 0; nd < D / 8; nd++) {
        o[nd][0] = o[nd][1] = o[nd][2] = o[nd][3] = 0.0f;
    }
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
        for (int i = threadIdx.x; i < FT_KEYS * D / 8; i += FT_THREADS) {
            int jj = i / (D / 8);
            int e = i % (D / 8) * 8;
            int j = j0 + jj;
            uint4 kx = make_uint4(0u, 0u, 0u, 0u);
            uint4 vx = kx;
            if (j <= hi) {  // rows past hi are zeros, so no NaN of unused memory reaches P v
                long long at = ((long long) b * capacity + j) * kv_stride + (long long) kvh * D + e;
                kx = *(const uint4*) (k + at);
                vx = *(const uint4*) (v + at);
            }
            *(uint4*) (ks + jj * S + e) = kx;
            *(uint4*) (vs + jj * S + e) = vx;
        }
        __syncthreads();
        if (row0 >= n || j0 > warp_last || (window > 0 && j0 + FT_KEYS - 1 <= warp_first - window)) {
            continue;  // no row of this warp sees a key of this tile (warp-uniform, so the collectives stay whole)
        }
        float s[FT_KEYS / 8][4];
#pragma unroll
        for (int nb = 0; nb < FT_KEYS / 8; nb++) {
            s[nb][0] = s[nb][1] = s[nb][2] = s[nb][3] = 0.0f;
        }
#pragma unroll
        for (int kb = 0; kb < D / 16; kb++) {
#pragma unroll
            for (int nb = 0; nb < FT_KEYS / 8; nb += 2) {
                // matrices: (keys nb, dims kb*16), (keys nb, dims +8), (keys nb+1, dims kb*16), (keys nb+1, +8)
                unsigned bf[4];
                lk_ldmatrix_x4(bf, ks + (nb * 8 + ((lane >> 4) << 3) + (lane & 7)) * S + kb * 16
                        + (((lane >> 3) & 1) << 3));
                lk_mma_bf16_16816(s[nb], qf[kb], bf, s[nb]);
                lk_mma_bf16_16816(s[nb + 1], qf[kb], bf + 2, s[nb + 1]);
            }
        }
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
#pragma unroll
        for (int kb = 0; kb < FT_KEYS / 16; kb++) {
            unsigned pa[4] = {ft_pack(s[2 * kb][0], s[2 * kb][1]), ft_pack(s[2 * kb][2], s[2 * kb][3]),
                    ft_pack(s[2 * kb + 1][0], s[2 * kb + 1][1]), ft_pack(s[2 * kb + 1][2], s[2 * kb + 1][3])};
#pragma unroll
            for (int nd = 0; nd < D / 8; nd += 2) {
                // matrices: (keys kb*16, dims nd), (keys +8, dims nd), (keys kb*16, dims nd+1), (keys +8, nd+1)
                unsigned bf[4];
                lk_ldmatrix_x4_trans(bf, vs + (kb * 16 + (((lane >> 3) & 1) << 3) + (lane & 7)) * S + nd * 8
                        + ((lane >> 4) << 3));
                lk_mma_bf16_16816(o[nd], pa, bf, o[nd]);
                lk_mma_bf16_16816(o[nd + 1], pa, bf + 2, o[nd + 1]);
            }
        }
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

// Same arguments as flash_attention.cu's flash_attn_fwd_bf16_d*; d must equal the kernel's head width.
#define FT_ENTRY_POINT(D)                                                                                         \
    extern "C" __global__ void __launch_bounds__(FT_THREADS) flash_attn_tc_fwd_bf16_d##D(const lk_half* q,        \
            const lk_half* k, const lk_half* v, lk_half* out, float* lse, int n, int capacity, int heads,          \
            int kv_heads, int d, int position, int kv_length, int window, float scale) {                           \
        ft_forward<D>(q, k, v, out, lse, n, capacity, heads, kv_heads, position, kv_length, window, scale);      \
    }

FT_ENTRY_POINT(64)
FT_ENTRY_POINT(128)
