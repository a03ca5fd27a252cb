package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import org.junit.jupiter.api.Test;

/** The dtype cuBLAS multiplies in for each mix the bf16 decoder produces (no GPU needed). */
class MatmulDtypeTest {

  @Test
  void sixteenBitOperandsWinAndF32OperandsFollowA16BitOutput() {
    assertEquals(DType.F32, CudaBackend.operandType(DType.F32, DType.F32, DType.F32));
    // base projection: bf16 activation x bf16 weight -> bf16 or f32 (residual) output
    assertEquals(DType.BF16, CudaBackend.operandType(DType.BF16, DType.BF16, DType.BF16));
    assertEquals(DType.BF16, CudaBackend.operandType(DType.BF16, DType.BF16, DType.F32));
    // backward dX = dY W: f32 gradient rounded next to the bf16 weight
    assertEquals(DType.BF16, CudaBackend.operandType(DType.F32, DType.BF16, DType.F32));
    // LoRA x A^T: bf16 activation, f32 A
    assertEquals(DType.BF16, CudaBackend.operandType(DType.BF16, DType.F32, DType.F32));
    // LoRA update into a bf16 projection, and merging B A into a bf16 weight
    assertEquals(DType.BF16, CudaBackend.operandType(DType.F32, DType.F32, DType.BF16));
    assertEquals(DType.F16, CudaBackend.operandType(DType.F16, DType.F32, DType.F16));
  }

  @Test
  void mixedSixteenBitTypesAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CudaBackend.operandType(DType.BF16, DType.F16, DType.F32));
    assertTrue(e.getMessage().contains("mixed 16-bit operands"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CudaBackend.operandType(DType.BF16, DType.BF16, DType.F16));
    assertTrue(e.getMessage().contains("cannot write a F16 output"), e.getMessage());
  }
}
