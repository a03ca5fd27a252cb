// One AdamW step over fp32 master weights and fp32 moments, fused into one pass (param, grad, m, v read once,
// three written). The arithmetic is double with explicitly rounded operations (no contraction into fused
// multiply-adds), the same sequence of roundings as the CPU backend's Java, so both give the same bits.

extern "C" __global__ void adamw_f32(float* param, const float* grad, float* m, float* v, long long n, double beta1,
        double beta2, double eps, double decay, double step_size, double bc2_sqrt) {
    double one_minus_b1 = __dsub_rn(1.0, beta1);
    double one_minus_b2 = __dsub_rn(1.0, beta2);
    LK_FOR(i, n) {
        double g = (double) grad[i];
        double mi = __dadd_rn(__dmul_rn(beta1, (double) m[i]), __dmul_rn(one_minus_b1, g));
        double vi = __dadd_rn(__dmul_rn(beta2, (double) v[i]), __dmul_rn(__dmul_rn(one_minus_b2, g), g));
        m[i] = __double2float_rn(mi);
        v[i] = __double2float_rn(vi);
        double denom = __dadd_rn(__ddiv_rn(__dsqrt_rn(vi), bc2_sqrt), eps);
        double update = __ddiv_rn(__dmul_rn(step_size, mi), denom);
        param[i] = __double2float_rn(__dsub_rn(__dmul_rn((double) param[i], decay), update));
    }
}
