package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Frozen bf16 weights on the CPU: kept where they lie (a segment outside the heap, as a
 * memory-mapped checkpoint is), widened exactly inside the matrix product's packing and in the
 * embedding lookup. Since widening is exact, a product with bf16 weights must give bit for bit the
 * float32 product with the widened weights, on every path (packed, thin, narrow, several column
 * panels) and for any thread count.
 */
class Bf16WeightsTest {

  private static final ValueLayout.OfShort LE16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Random values rounded to bf16: what a bf16 checkpoint holds, as floats. */
  private static float[] bf16Values(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16((float) rnd.nextGaussian()));
    }
    return v;
  }

  /**
   * {@code values} as little-endian bf16 in native memory, one byte past an aligned address (a
   * safetensors tensor may start anywhere after its header).
   */
  private static MemorySegment offHeap(Arena arena, float[] values) {
    MemorySegment seg = arena.allocate(2L * values.length + 1).asSlice(1, 2L * values.length);
    for (int i = 0; i < values.length; i++) {
      seg.setAtIndex(LE16, i, HalfPrecision.floatToBf16(values[i]));
    }
    return seg;
  }

  @ParameterizedTest(name = "{0}x{1}x{2} transB={3}")
  @CsvSource({
    "1, 45, 600, true",
    "2, 45, 600, true",
    "3, 45, 600, false",
    "1, 4133, 70, true",
    "1, 300, 257, false",
    "37, 45, 600, true",
    "37, 45, 600, false",
    "300, 97, 700, true",
    "300, 97, 700, false",
    "40, 8, 300, true",
    "40, 8, 300, false",
    "13, 4200, 270, true",
    "13, 4200, 270, false",
    "5, 31, 17, true",
  })
  void aProductWithBf16WeightsIsTheFloatProductOfTheWidenedWeights(
      int m, int n, int k, boolean transB) {
    Random rnd = new Random(m * 7919L + n * 31L + k);
    float[] a = GradCheck.random(rnd, m * k, 1);
    float[] w = bf16Values(rnd, n * k);
    float[] c0 = GradCheck.random(rnd, m * n, 1);
    Shape bShape = transB ? Shape.of(n, k) : Shape.of(k, n);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment mapped = offHeap(arena, w);
      float[] reference = null;
      for (int threads : new int[] {1, 2, 3}) {
        try (CpuBackend backend = new CpuBackend(threads)) {
          float[] expected =
              product(backend, a, m, k, backend.upload(w, DType.F32, bShape), transB, c0, n);
          if (reference == null) {
            reference = expected;
          }
          assertArrayEquals(reference, expected, "float32, " + threads + " threads");
          Tensor frozen = backend.frozen(mapped, DType.BF16, bShape);
          assertArrayEquals(
              expected,
              product(backend, a, m, k, frozen, transB, c0, n),
              "mapped bf16, " + threads + " threads");
          assertArrayEquals(
              expected,
              product(backend, a, m, k, backend.upload(w, DType.BF16, bShape), transB, c0, n),
              "heap bf16, " + threads + " threads");
        }
      }
    }
  }

  private static float[] product(
      CpuBackend backend, float[] a, int m, int k, Tensor b, boolean transB, float[] c0, int n) {
    Tensor c = backend.upload(c0, DType.F32, Shape.of(m, n));
    backend.matmul(backend.upload(a, DType.F32, Shape.of(m, k)), false, b, transB, c, 0.5f, 1f);
    return backend.download(c);
  }

  @Test
  void aDecodingRowWithBf16WeightsMatchesItsRowInTheFullProduct() {
    Random rnd = new Random(5);
    int m = 50;
    int n = 70;
    int k = 600;
    float[] a = GradCheck.random(rnd, m * k, 1);
    float[] w = bf16Values(rnd, n * k);
    try (CpuBackend backend = new CpuBackend(2);
        Arena arena = Arena.ofShared()) {
      Tensor frozen = backend.frozen(offHeap(arena, w), DType.BF16, Shape.of(n, k));
      float[] all = product(backend, a, m, k, frozen, true, new float[m * n], n);
      float[] row = new float[k];
      System.arraycopy(a, 20 * k, row, 0, k);
      float[] one = product(backend, row, 1, k, frozen, true, new float[n], n);
      assertArrayEquals(Arrays.copyOfRange(all, 20 * n, 21 * n), one);
    }
  }

  @Test
  void aFrozenTensorReadsTheSegmentItselfAndRefusesWrites() {
    float[] w = bf16Values(new Random(9), 4 * 40);
    try (CpuBackend backend = new CpuBackend(2);
        Arena arena = Arena.ofShared()) {
      MemorySegment seg = offHeap(arena, w);
      Tensor t = backend.frozen(seg, DType.BF16, Shape.of(4, 40));
      assertTrue(((CpuTensor) t).isFrozenView(), "kept as a view of the segment");
      assertArrayEquals(w, backend.download(t));
      // No copy: a change to the bytes shows through.
      seg.setAtIndex(LE16, 3, HalfPrecision.floatToBf16(42f));
      assertEquals(42f, backend.download(t)[3]);
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> backend.fill(t, 0f));
      assertEquals(
          "The tensor [4, 40] is a read-only view of frozen bf16 weights; it cannot be written.",
          e.getMessage());
      assertThrows(
          IllegalArgumentException.class, () -> backend.frozen(seg, DType.BF16, Shape.of(4, 41)));
      IllegalArgumentException merge =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  backend.matmul(
                      backend.zeros(DType.F32, Shape.of(4, 2)),
                      false,
                      backend.zeros(DType.F32, Shape.of(2, 40)),
                      false,
                      t,
                      1,
                      1));
      assertEquals(
          "matmul: c [4, 40] is a read-only view of frozen bf16 weights; an adapter cannot be merged "
              + "into them (use fp32).",
          merge.getMessage());
    }
  }

  @Test
  void embeddingRowsOfAFrozenBf16TableAreWidenedExactly() {
    int vocab = 50;
    int hidden = 37;
    float[] table = bf16Values(new Random(3), vocab * hidden);
    int[] ids = {0, 49, 7, 7, 23};
    try (CpuBackend backend = new CpuBackend(2);
        Arena arena = Arena.ofShared()) {
      Tensor t = backend.frozen(offHeap(arena, table), DType.BF16, Shape.of(vocab, hidden));
      Tensor out = backend.zeros(DType.F32, Shape.of(ids.length, hidden));
      backend.embedding(t, ids, out);
      float[] got = backend.download(out);
      for (int r = 0; r < ids.length; r++) {
        for (int i = 0; i < hidden; i++) {
          assertEquals(
              table[ids[r] * hidden + i], got[r * hidden + i], "row " + r + ", column " + i);
        }
      }
      Tensor wide = backend.zeros(DType.F32, Shape.of(vocab, hidden));
      backend.copy(t, wide);
      assertArrayEquals(table, backend.download(wide));
    }
  }

  @Test
  void bf16OnTheCpuMeansBf16WeightsAndFloat32Activations() {
    try (CpuBackend backend = new CpuBackend(1)) {
      assertTrue(backend.supports(Precision.BF16));
      assertEquals(DType.F32, backend.activations(Precision.BF16));
      assertEquals(DType.F32, backend.activations(Precision.FP32));
    }
  }
}
