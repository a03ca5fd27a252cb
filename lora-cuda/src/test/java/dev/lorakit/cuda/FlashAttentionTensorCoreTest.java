package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tensor-core flash forward ({@code flash_attention_tc.cu}) against the fp32-arithmetic flash forward on the same
 * bf16 inputs and arguments: sequence lengths that are not tile multiples, GQA 1/2/4, windows shorter and longer
 * than the sequence, a query block placed after cached keys, head widths 64 and 128. The outputs agree within bf16
 * rounding (the probabilities enter P v as bf16), the log-sum-exp within fp32 summation order, since the backward
 * reads it. Needs a GPU (or the CUDA simulator); skipped visibly without.
 */
class FlashAttentionTensorCoreTest {

    @ParameterizedTest
    @CsvSource({
        // batch, n, capacity, heads, kvHeads, d, position, window
        "2, 37, 37, 4, 4, 64, 0, 0",
        "1, 70, 70, 4, 2, 64, 0, 5",
        "1, 70, 70, 4, 1, 64, 0, 100",
        "1, 29, 29, 2, 1, 128, 0, 0",
        "1, 66, 66, 4, 2, 128, 0, 17",
        "1, 9, 40, 4, 2, 64, 23, 0",
        "1, 20, 80, 2, 2, 128, 50, 12"})
    void matchesTheFp32ArithmeticForward(int batch, int n, int capacity, int heads, int kvHeads, int d, int position,
            int window) {
        Gpu.assumeAvailable("the tensor-core flash attention parity test");
        int kvLength = position + n;
        float[] q = ParityChecks.roundedToBf16(ParityChecks.randoms(41, batch * n * heads * d, 2));
        float[] k = ParityChecks.roundedToBf16(ParityChecks.randoms(42, batch * capacity * kvHeads * d, 2));
        float[] v = ParityChecks.roundedToBf16(ParityChecks.randoms(43, batch * capacity * kvHeads * d, 1));
        float scale = FlashAttention.scale(d);
        try (CudaBackend be = new CudaBackend()) {
            Tensor tq = be.upload(q, DType.BF16, Shape.of(batch * n, heads * d));
            Tensor tk = be.upload(k, DType.BF16, Shape.of(batch * capacity, kvHeads * d));
            Tensor tv = be.upload(v, DType.BF16, Shape.of(batch * capacity, kvHeads * d));
            float[][] outs = new float[2][];
            float[][] lses = new float[2][];
            String[] kernels = {"flash_attn_fwd_bf16_d" + FlashAttention.cap(d), "flash_attn_tc_fwd_bf16_d" + d};
            for (int run = 0; run < 2; run++) {
                Tensor out = be.upload(new float[batch * n * heads * d], DType.BF16, Shape.of(batch * n, heads * d));
                Tensor lse = be.upload(new float[batch * heads * n], DType.F32, Shape.of(batch * heads * n));
                int rows = run == 0 ? FlashAttention.ROWS : FlashAttention.TC_ROWS;
                int threads = run == 0 ? FlashAttention.THREADS : FlashAttention.TC_THREADS;
                be.kernels().launchGrid(kernels[run], be.stream(), (n + rows - 1) / rows, heads, batch, threads,
                        ptr(tq), ptr(tk), ptr(tv), ptr(out), ptr(lse), n, capacity, heads, kvHeads, d, position,
                        kvLength, window, scale);
                outs[run] = be.download(out);
                lses[run] = be.download(lse);
            }
            double worstOut = 0;
            double worstLse = 0;
            for (int i = 0; i < outs[0].length; i++) {
                float want = outs[0][i];
                // a bf16 ulp is 2^-8 of the value's binade: allow about two, plus the P rounding's share
                assertEquals(want, outs[1][i], 4e-3 + 1e-2 * Math.abs(want), "out[" + i + "]");
                worstOut = Math.max(worstOut, Math.abs(want - outs[1][i]));
            }
            for (int i = 0; i < lses[0].length; i++) {
                assertTrue(Float.isFinite(lses[0][i]), "reference lse[" + i + "]");
                assertEquals(lses[0][i], lses[1][i], 1e-4 * (1 + Math.abs(lses[0][i])), "lse[" + i + "]");
                worstLse = Math.max(worstLse, Math.abs(lses[0][i] - lses[1][i]));
            }
            System.out.printf("n %d, heads %d/%d, d %d, position %d, window %d: out differs by at most %.2e, lse by %.2e%n",
                    n, heads, kvHeads, d, position, window, worstOut, worstLse);
        }
    }

    /** The backend's bf16 attention takes the tensor-core forward for head widths 64 and 128, the fp32 one else. */
    @Test
    void theBackendDispatchesBf16HeadWidths64And128ToTensorCores() {
        Gpu.assumeSimulator("the tensor-core dispatch test");
        int n = 5;
        try (CudaBackend be = new CudaBackend()) {
            for (int d : new int[] {64, 128, 32}) {
                Tensor q = be.upload(ParityChecks.randoms(5, n * 2 * d, 1), DType.BF16, Shape.of(n, 2 * d));
                Tensor kv = be.upload(ParityChecks.randoms(6, n * d, 1), DType.BF16, Shape.of(n, d));
                Tensor out = be.upload(new float[n * 2 * d], DType.BF16, Shape.of(n, 2 * d));
                Tensor lse = be.upload(new float[2 * n], DType.F32, Shape.of(2 * n));
                Gpu.Counts.reset();
                be.attention(q, kv, kv, out, lse, 1, 2, 1, 0, n, 0);
                be.synchronize();
                boolean tc = d == 64 || d == 128;
                assertEquals(tc ? 1 : 0, Gpu.Counts.launches("flash_attn_tc_fwd_bf16_d" + d), "head width " + d);
                assertEquals(tc ? 0 : 1, Gpu.Counts.launches("flash_attn_fwd_bf16_d64"), "head width " + d);
            }
        }
    }

    private static long ptr(Tensor t) {
        return ((CudaTensor) t).pointer();
    }
}
