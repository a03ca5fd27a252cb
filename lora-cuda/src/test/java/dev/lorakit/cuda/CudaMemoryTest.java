package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Device memory comes back when tensors and backends close; needs a GPU, skipped visibly without.
 */
class CudaMemoryTest {

  /** Driver-side slack: the context's own allocations move in 2 MiB pages. */
  private static final long SLACK = 8L << 20;

  @Test
  void closingABackendReturnsEveryByteItTook() {
    Gpu.assumeAvailable("the CUDA memory test");
    // The probe holds the primary context, so the measurements exclude the context's own footprint.
    try (CudaBackend probe = new CudaBackend()) {
      long before = probe.memoryInfo()[0];
      CudaBackend backend = new CudaBackend();
      backend.loadAllKernels();
      Tensor[] ts = new Tensor[8];
      for (int i = 0; i < ts.length; i++) {
        ts[i] = backend.zeros(DType.F32, Shape.of(64 << 20 >> 2));
      }
      Tensor a = backend.zeros(DType.BF16, Shape.of(512, 512));
      backend.matmul(a, false, a, true, backend.zeros(DType.F32, Shape.of(512, 512)), 1, 0);
      long during = probe.memoryInfo()[0];
      assertTrue(
          before - during >= 8L * (64 << 20),
          "512 MiB of tensors must show in cuMemGetInfo: before " + before + ", during " + during);
      ts[0].close();
      assertEquals(
          64L << 20,
          backend.allocator().bytesCached(),
          "a closed tensor's block is cached for reuse");
      backend.close();
      long after = probe.memoryInfo()[0];
      System.out.printf("free before %d, during %d, after close %d bytes%n", before, during, after);
      assertTrue(
          Math.abs(before - after) <= SLACK,
          "free memory after close "
              + after
              + " differs from before "
              + before
              + " by more than "
              + SLACK);
      assertThrows(IllegalStateException.class, () -> backend.zeros(DType.F32, Shape.of(1)));
      ts[1].close(); // closing a tensor of a closed backend is harmless
    }
  }

  @Test
  void anImpossibleAllocationFailsWithRequestedAndFreeBytes() {
    Gpu.assumeAvailable("the CUDA out-of-memory test");
    try (CudaBackend backend = new CudaBackend()) {
      // More than the whole card, whatever its size (an 80 or 141 GB card grants any request under
      // that).
      long total = backend.totalMemory();
      int cols = 1 << 16;
      Shape tooBig = Shape.of(Math.toIntExact(total / (4L * cols) + 1), cols);
      assertTrue(4 * tooBig.size() > total, tooBig + " of F32 must exceed " + total + " bytes");
      LorakitInputException e =
          assertThrows(LorakitInputException.class, () -> backend.zeros(DType.F32, tooBig));
      String m = e.getMessage();
      System.err.println(m);
      assertTrue(
          m.startsWith("Out of GPU memory in zeros: it asked for ") && m.contains(" are free "), m);
      assertTrue(
          m.contains("(" + 4 * tooBig.size() + " bytes)"), "the request is named in bytes: " + m);
    }
  }
}
