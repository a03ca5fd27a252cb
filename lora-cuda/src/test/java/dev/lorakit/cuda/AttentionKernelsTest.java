package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention kernels launched one at a time against a plain-Java reference, for arguments the
 * backend's own calls do not reach. Needs a GPU (or the CUDA simulator); skipped visibly without.
 */
class AttentionKernelsTest {

  /**
   * {@code attn_probs_from_lse} places query t at {@code position + t}, as {@code attn_softmax}
   * does.
   */
  @ParameterizedTest
  @CsvSource({"0, 0", "5, 0", "5, 3", "2, 1"})
  void probabilitiesFromLseSeeTheKeysOfTheQuerysPosition(int position, int window) {
    Gpu.assumeAvailable("the attn_probs_from_lse test");
    int blocks = 3;
    int n = 4;
    int keys = 9;
    int rows = blocks * n;
    float[] scores = ParityChecks.randoms(11, rows * keys, 2);
    float[] lse = ParityChecks.randoms(12, rows, 1);
    try (CudaBackend backend = new CudaBackend()) {
      Tensor s = backend.upload(scores, DType.F32, Shape.of(rows, keys));
      Tensor l = backend.upload(lse, DType.F32, Shape.of(rows));
      backend
          .kernels()
          .launch(
              "attn_probs_from_lse",
              backend.stream(),
              Kernels.blocksFor((long) rows * keys),
              ((CudaTensor) s).pointer(),
              ((CudaTensor) l).pointer(),
              (long) rows,
              n,
              keys,
              position,
              window);
      float[] got = backend.download(s);
      int visible = 0;
      for (int r = 0; r < rows; r++) {
        int pos = position + r % n;
        for (int j = 0; j < keys; j++) {
          boolean sees = j <= pos && (window <= 0 || pos - window < j);
          float want = sees ? (float) Math.exp((double) scores[r * keys + j] - lse[r]) : 0f;
          visible += sees ? 1 : 0;
          assertEquals(
              want,
              got[r * keys + j],
              1e-6f * Math.abs(want),
              "row " + r + ", key " + j + ", position " + position + ", window " + window);
        }
      }
      System.out.printf(
          "position %d, window %d: %d of %d probabilities visible%n",
          position, window, visible, rows * keys);
    }
  }
}
