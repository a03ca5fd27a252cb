package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tensor-core flash kernels ({@code flash_attention_tc.cu}) against the fp32-arithmetic ones on
 * the same bf16 inputs and arguments: sequence lengths that are not tile multiples, GQA 1/2/4,
 * windows shorter and longer than the sequence, a query block placed after cached keys, head widths
 * 64 and 128. The outputs agree within bf16 rounding (the probabilities enter P v as bf16), the
 * log-sum-exp within fp32 summation order, since the backward reads it. Needs a GPU (or the CUDA
 * simulator); skipped visibly without.
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
    "1, 20, 80, 2, 2, 128, 50, 12"
  })
  void matchesTheFp32ArithmeticForward(
      int batch, int n, int capacity, int heads, int kvHeads, int d, int position, int window) {
    Gpu.assumeAvailable("the tensor-core flash attention parity test");
    int kvLength = position + n;
    float[] q = ParityChecks.roundedToBf16(ParityChecks.randoms(41, batch * n * heads * d, 2));
    float[] k =
        ParityChecks.roundedToBf16(ParityChecks.randoms(42, batch * capacity * kvHeads * d, 2));
    float[] v =
        ParityChecks.roundedToBf16(ParityChecks.randoms(43, batch * capacity * kvHeads * d, 1));
    float scale = FlashAttention.scale(d);
    try (CudaBackend backend = new CudaBackend()) {
      Tensor tq = backend.upload(q, DType.BF16, Shape.of(batch * n, heads * d));
      Tensor tk = backend.upload(k, DType.BF16, Shape.of(batch * capacity, kvHeads * d));
      Tensor tv = backend.upload(v, DType.BF16, Shape.of(batch * capacity, kvHeads * d));
      float[][] outs = new float[2][];
      float[][] lses = new float[2][];
      String[] kernels = {
        "flash_attn_fwd_bf16_d" + FlashAttention.cap(d), "flash_attn_tc_fwd_bf16_d" + d
      };
      for (int run = 0; run < 2; run++) {
        Tensor out =
            backend.upload(
                new float[batch * n * heads * d], DType.BF16, Shape.of(batch * n, heads * d));
        Tensor lse =
            backend.upload(new float[batch * heads * n], DType.F32, Shape.of(batch * heads * n));
        int rows = run == 0 ? FlashAttention.ROWS : FlashAttention.TC_ROWS;
        int threads = run == 0 ? FlashAttention.THREADS : FlashAttention.TC_THREADS;
        backend
            .kernels()
            .launchGrid(
                kernels[run],
                backend.stream(),
                (n + rows - 1) / rows,
                heads,
                batch,
                threads,
                ptr(tq),
                ptr(tk),
                ptr(tv),
                ptr(out),
                ptr(lse),
                n,
                capacity,
                heads,
                kvHeads,
                d,
                position,
                kvLength,
                window,
                scale);
        outs[run] = backend.download(out);
        lses[run] = backend.download(lse);
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
      System.out.printf(
          "n %d, heads %d/%d, d %d, position %d, window %d: out differs by at most %.2e, lse by %.2e%n",
          n, heads, kvHeads, d, position, window, worstOut, worstLse);
    }
  }

  /**
   * The tensor-core backward against the fp32-arithmetic backward: same bf16 q, k, v, out, lse
   * (from the reference forward), f32 dO, and gradients that already hold values (both add to
   * them). dO, P and dS enter the tensor-core products as bf16, so the gradients agree to a
   * bf16-sized fraction of their largest element.
   */
  @ParameterizedTest
  @CsvSource({
    // batch, n, heads, kvHeads, d, window
    "2, 37, 2, 2, 64, 0",
    "1, 70, 4, 2, 64, 5",
    "1, 70, 4, 1, 64, 100",
    "1, 29, 2, 1, 128, 0",
    "1, 66, 4, 2, 128, 17"
  })
  void backwardMatchesTheFp32ArithmeticBackward(
      int batch, int n, int heads, int kvHeads, int d, int window) {
    Gpu.assumeAvailable("the tensor-core flash attention backward parity test");
    int qSize = batch * n * heads * d;
    int kvSize = batch * n * kvHeads * d;
    float scale = FlashAttention.scale(d);
    int cap = FlashAttention.cap(d);
    try (CudaBackend backend = new CudaBackend()) {
      Tensor q =
          backend.upload(
              ParityChecks.randoms(51, qSize, 2), DType.BF16, Shape.of(batch * n, heads * d));
      Tensor k =
          backend.upload(
              ParityChecks.randoms(52, kvSize, 2), DType.BF16, Shape.of(batch * n, kvHeads * d));
      Tensor v =
          backend.upload(
              ParityChecks.randoms(53, kvSize, 1), DType.BF16, Shape.of(batch * n, kvHeads * d));
      Tensor dOut =
          backend.upload(
              ParityChecks.randoms(54, qSize, 1), DType.F32, Shape.of(batch * n, heads * d));
      Tensor out = backend.upload(new float[qSize], DType.BF16, Shape.of(batch * n, heads * d));
      Tensor lse =
          backend.upload(new float[batch * heads * n], DType.F32, Shape.of(batch * heads * n));
      Tensor dsum =
          backend.upload(new float[batch * heads * n], DType.F32, Shape.of(batch * heads * n));
      backend
          .kernels()
          .launchGrid(
              "flash_attn_fwd_bf16_d" + cap,
              backend.stream(),
              FlashAttention.blocks(n),
              heads,
              batch,
              FlashAttention.THREADS,
              ptr(q),
              ptr(k),
              ptr(v),
              ptr(out),
              ptr(lse),
              n,
              n,
              heads,
              kvHeads,
              d,
              0,
              n,
              window,
              scale);
      backend
          .kernels()
          .launch(
              "flash_attn_row_dot_bf16",
              backend.stream(),
              Kernels.blocksFor((long) batch * heads * n),
              ptr(dOut),
              ptr(out),
              ptr(dsum),
              batch,
              n,
              heads,
              d);
      float[] dq0 = ParityChecks.randoms(55, qSize, 1);
      float[] dkv0 = ParityChecks.randoms(56, kvSize, 1);
      float[][][] grads = new float[2][][];
      for (int run = 0; run < 2; run++) {
        Tensor dq = backend.upload(dq0, DType.F32, Shape.of(batch * n, heads * d));
        Tensor dk = backend.upload(dkv0, DType.F32, Shape.of(batch * n, kvHeads * d));
        Tensor dv = backend.upload(dkv0, DType.F32, Shape.of(batch * n, kvHeads * d));
        String prefix = run == 0 ? "flash_attn_bwd_" : "flash_attn_tc_bwd_";
        String suffix = "_bf16_d" + (run == 0 ? cap : d);
        int rows = run == 0 ? FlashAttention.ROWS : FlashAttention.TC_ROWS;
        int threads = run == 0 ? FlashAttention.THREADS : FlashAttention.TC_THREADS;
        long grid = (n + rows - 1) / rows;
        backend
            .kernels()
            .launchGrid(
                prefix + "dkdv" + suffix,
                backend.stream(),
                grid,
                kvHeads,
                batch,
                threads,
                ptr(dOut),
                ptr(q),
                ptr(k),
                ptr(v),
                ptr(lse),
                ptr(dsum),
                ptr(dk),
                ptr(dv),
                n,
                heads,
                kvHeads,
                d,
                window,
                scale);
        backend
            .kernels()
            .launchGrid(
                prefix + "dq" + suffix,
                backend.stream(),
                grid,
                heads,
                batch,
                threads,
                ptr(dOut),
                ptr(q),
                ptr(k),
                ptr(v),
                ptr(lse),
                ptr(dsum),
                ptr(dq),
                n,
                heads,
                kvHeads,
                d,
                window,
                scale);
        grads[run] =
            new float[][] {backend.download(dq), backend.download(dk), backend.download(dv)};
      }
      String[] names = {"dq", "dk", "dv"};
      float[][] initial = {dq0, dkv0, dkv0};
      StringBuilder line = new StringBuilder();
      for (int g = 0; g < 3; g++) {
        float[] want = grads[0][g];
        float[] got = grads[1][g];
        double largest = 0;
        for (int i = 0; i < want.length; i++) {
          largest = Math.max(largest, Math.abs(want[i] - initial[g][i]));
        }
        assertTrue(largest > 0, names[g] + ": the reference added nothing");
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
          assertEquals(want[i], got[i], 2e-2 * largest, names[g] + "[" + i + "]");
          worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        line.append(String.format(" %s %.2e of %.2e;", names[g], worst, largest));
      }
      System.out.printf(
          "backward n %d, heads %d/%d, d %d, window %d: largest difference%s%n",
          n, heads, kvHeads, d, window, line);
    }
  }

  /**
   * The backend's bf16 attention and its backward take the tensor-core kernels for head widths 64
   * and 128, the fp32-arithmetic ones for other widths.
   */
  @Test
  void theBackendDispatchesBf16HeadWidths64And128ToTensorCores() {
    Gpu.assumeSimulator("the tensor-core dispatch test");
    int n = 5;
    try (CudaBackend backend = new CudaBackend()) {
      for (int d : new int[] {64, 128, 32}) {
        Tensor q =
            backend.upload(ParityChecks.randoms(5, n * 2 * d, 1), DType.BF16, Shape.of(n, 2 * d));
        Tensor kv = backend.upload(ParityChecks.randoms(6, n * d, 1), DType.BF16, Shape.of(n, d));
        Tensor out = backend.upload(new float[n * 2 * d], DType.BF16, Shape.of(n, 2 * d));
        Tensor lse = backend.upload(new float[2 * n], DType.F32, Shape.of(2 * n));
        Tensor dOut =
            backend.upload(ParityChecks.randoms(7, n * 2 * d, 1), DType.F32, Shape.of(n, 2 * d));
        Tensor dq = backend.upload(new float[n * 2 * d], DType.F32, Shape.of(n, 2 * d));
        Tensor dk = backend.upload(new float[n * d], DType.F32, Shape.of(n, d));
        Tensor dv = backend.upload(new float[n * d], DType.F32, Shape.of(n, d));
        Gpu.Counts.reset();
        backend.attention(q, kv, kv, out, lse, 1, 2, 1, 0, n, 0);
        backend.attentionBackward(dOut, q, kv, kv, out, lse, dq, dk, dv, 1, 2, 1, 0);
        backend.synchronize();
        boolean tc = d == 64 || d == 128;
        for (String kernel : new String[] {"fwd", "bwd_dkdv", "bwd_dq"}) {
          assertEquals(
              tc ? 1 : 0,
              Gpu.Counts.launches("flash_attn_tc_" + kernel + "_bf16_d" + d),
              kernel + ", head width " + d);
          assertEquals(
              tc ? 0 : 1,
              Gpu.Counts.launches("flash_attn_" + kernel + "_bf16_d64"),
              kernel + ", head width " + d);
        }
        assertTrue(Float.isFinite(backend.download(dq)[0]), "dq, head width " + d);
      }
    }
  }

  private static long ptr(Tensor t) {
    return ((CudaTensor) t).pointer();
  }
}
