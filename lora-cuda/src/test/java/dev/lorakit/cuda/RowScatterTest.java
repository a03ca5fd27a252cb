package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The row-parallel scatter-add behind embeddingBackward (the loss chunks' way back to their
 * tokens).
 */
class RowScatterTest {

  @Test
  void tokensAreGroupedByIdInTokenOrder() {
    RowScatter s = RowScatter.of(new int[] {3, 1, 3, 0, 1, 3});
    assertArrayEquals(new int[] {0, 1, 3}, s.rows());
    assertArrayEquals(new int[] {0, 1, 3, 6}, s.offsets());
    assertArrayEquals(new int[] {3, 1, 4, 0, 2, 5}, s.sources());
    assertArrayEquals(new int[] {0, 1, 3, 0, 1, 3, 6, 3, 1, 4, 0, 2, 5}, s.packed());
    RowScatter none = RowScatter.of(new int[0]);
    assertArrayEquals(new int[] {0}, none.packed());
  }

  /**
   * Bit for bit the CPU backend's sums, for the loss chunk's pattern (distinct rows, then padding
   * rows that all point at row 0 with a zero gradient) and for ids that repeat many times. Needs a
   * GPU (or the simulator).
   */
  @Test
  void theScatterAddsLikeTheCpuBackendBitForBit() {
    Gpu.assumeAvailable("the row-parallel scatter test");
    int hidden = 67;
    int tableRows = 300;
    int[] chunk = new int[128];
    for (int t = 0; t < 100; t++) {
      chunk[t] = 2 + 3 * t; // the counted positions, ascending and distinct
    }
    int[] repeated = ParityChecks.ids(31, 500, 9);
    try (CudaBackend gpu = new CudaBackend();
        CpuBackend cpu = new CpuBackend(2)) {
      for (int[] ids : new int[][] {chunk, repeated}) {
        float[] grad = ParityChecks.randoms(32, ids.length * hidden, 1);
        if (ids == chunk) {
          Arrays.fill(grad, 100 * hidden, grad.length, 0f); // padding rows carry no gradient
        }
        float[] table = ParityChecks.randoms(33, tableRows * hidden, 1);
        float[][] results = new float[2][];
        int i = 0;
        for (var backend : new dev.lorakit.core.backend.Backend[] {cpu, gpu}) {
          Tensor d = backend.upload(table, DType.F32, Shape.of(tableRows, hidden));
          backend.embeddingBackward(
              backend.upload(grad, DType.F32, Shape.of(ids.length, hidden)), ids, d);
          results[i++] = backend.download(d);
        }
        for (int k = 0; k < table.length; k++) {
          assertEquals(
              Float.floatToRawIntBits(results[0][k]),
              Float.floatToRawIntBits(results[1][k]),
              "element " + k + ": cpu " + results[0][k] + ", gpu " + results[1][k]);
        }
      }
    }
  }
}
