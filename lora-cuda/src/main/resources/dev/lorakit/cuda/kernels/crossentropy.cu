// Softmax cross-entropy fused with its gradient, one block per row: max, sum of exponentials, the row's loss
// and gradScale * (softmax - onehot) written over the logits in one kernel, so the [rows, vocab] softmax is
// never stored (the logits tensor is the largest activation of the model). Rows whose target is the ignore
// index (-100) get loss 0 and a zero gradient row. Per-row losses go out as doubles; the host sums them in
// row order, which keeps the total deterministic.

extern "C" __global__ void cross_entropy_f32(const float* logits, const int* targets, float* d_logits,
        double* losses, int vocab, float grad_scale, int ignore_index) {
    __shared__ float fscratch[32];
    __shared__ double dscratch[32];
    long long off = (long long) blockIdx.x * vocab;
    int target = targets[blockIdx.x];
    if (target == ignore_index) {
        if (d_logits != 0) {
            for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
                d_logits[off + i] = 0.0f;
            }
        }
        if (threadIdx.x == 0) {
            losses[blockIdx.x] = 0.0;
        }
        return;
    }
    float max = -INFINITY;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        max = fmaxf(max, logits[off + i]);
    }
    max = block_max(max, fscratch);
    double sum = 0.0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        sum += exp((double) logits[off + i] - max);
    }
    sum = block_sum(sum, dscratch);
    double log_sum = (double) max + log(sum);
    // Read the target's logit before the gradient pass may overwrite it (d_logits may be logits).
    double target_logit = (double) logits[off + target];
    __syncthreads();
    if (threadIdx.x == 0) {
        losses[blockIdx.x] = log_sum - target_logit;
    }
    if (d_logits != 0) {
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            double p = exp((double) logits[off + i] - log_sum);
            d_logits[off + i] = (float) (grad_scale * (p - (i == target ? 1.0 : 0.0)));
        }
    }
}
