package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The matmul checks both backends share, on shapes and dtypes alone (the backends' refusals are in
 * the backend contract test).
 */
class OpArgumentsTest {

  @Test
  void sixteenBitOperandsWinAndF32OperandsFollowA16BitOutput() {
    assertEquals(DType.F32, OpArguments.matmulOperands(DType.F32, DType.F32, DType.F32));
    // base projection: bf16 activation x bf16 weight -> bf16 or f32 (residual) output
    assertEquals(DType.BF16, OpArguments.matmulOperands(DType.BF16, DType.BF16, DType.BF16));
    assertEquals(DType.BF16, OpArguments.matmulOperands(DType.BF16, DType.BF16, DType.F32));
    // backward dX = dY W: f32 gradient rounded next to the bf16 weight
    assertEquals(DType.BF16, OpArguments.matmulOperands(DType.F32, DType.BF16, DType.F32));
    // LoRA x A^T: bf16 activation, f32 A
    assertEquals(DType.BF16, OpArguments.matmulOperands(DType.BF16, DType.F32, DType.F32));
    // LoRA update into a bf16 projection, and merging B A into a bf16 weight
    assertEquals(DType.BF16, OpArguments.matmulOperands(DType.F32, DType.F32, DType.BF16));
    assertEquals(DType.F16, OpArguments.matmulOperands(DType.F16, DType.F32, DType.F16));
  }

  @Test
  void mixedSixteenBitTypesAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OpArguments.matmulOperands(DType.BF16, DType.F16, DType.F32));
    assertEquals(
        "matmul: a is BF16 and b is F16; mixed 16-bit operands must be converted with copy() first.",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OpArguments.matmulOperands(DType.BF16, DType.BF16, DType.F16));
    assertEquals(
        "matmul: BF16 operands cannot write a F16 output; use BF16 or F32.", e.getMessage());
  }

  static Stream<Arguments> layouts() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (int batch : new int[] {1, 3}) {
          b.add(Arguments.of(ta, tb, batch));
        }
      }
    }
    return b.build();
  }

  @ParameterizedTest
  @MethodSource("layouts")
  void mismatchedShapesAreRejectedWithTheShapes(boolean ta, boolean tb, int batch) {
    Shape as = Shape.of(batch, 4, 3);
    Shape bs = Shape.of(5, 6);
    Shape cs = Shape.of(batch, 4, 6);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OpArguments.matmul(as, ta, bs, tb, cs));
    assertEquals(
        "matmul: shapes do not fit: a "
            + as
            + (ta ? "^T" : "")
            + ", b "
            + bs
            + (tb ? "^T" : "")
            + ", c "
            + cs
            + ".",
        e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("layouts")
  void sizesFollowTheTransposesAndTheSharedOperand(boolean ta, boolean tb, int batch) {
    int m = 4;
    int n = 6;
    int k = 3;
    Shape as = ta ? Shape.of(batch, k, m) : Shape.of(batch, m, k);
    Shape bs = tb ? Shape.of(n, k) : Shape.of(k, n);
    OpArguments.MatmulSizes s = OpArguments.matmul(as, ta, bs, tb, Shape.of(batch, m, n));
    assertEquals(new OpArguments.MatmulSizes(batch, m, n, k, batch == 1, true), s);
  }

  @Test
  void anEmptyDepthKeepsItsRows() {
    // [2, 0] x [0, 5]: c = beta c, on every backend (rows from the dimensions, not size / cols).
    assertEquals(
        new OpArguments.MatmulSizes(1, 2, 5, 0, true, true),
        OpArguments.matmul(Shape.of(2, 0), false, Shape.of(0, 5), false, Shape.of(2, 5)));
  }
}
