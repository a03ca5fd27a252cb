// Whole-tensor reductions for gradient clipping and overflow checks. sum_squares_f32 writes one double
// partial per block (a fixed grid, a fixed tree) and the host adds the partials in order: deterministic, and
// accumulated in double as the Backend contract says. all_finite_f32 only ever stores 1 into a zeroed flag, so
// racing writers agree.

extern "C" __global__ void sum_squares_f32(const float* x, long long n, double* partials) {
    __shared__ double scratch[32];
    double acc = 0.0;
    LK_FOR(i, n) {
        double v = (double) x[i];
        acc += v * v;
    }
    acc = block_sum(acc, scratch);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}

extern "C" __global__ void all_finite_f32(const float* x, long long n, int* non_finite) {
    LK_FOR(i, n) {
        if (!lk_finite(x[i])) {
            *non_finite = 1;
        }
    }
}
