package dev.lorakit.core.backend;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 values widened to float a vector at a time, straight from where they are stored (a
 * memory-mapped checkpoint, or a heap array seen as a segment). Widening is exact: a bfloat16 is
 * the top half of a float, so each lane is its 16 bits shifted left by 16. This is how the CPU
 * computes with frozen bf16 weights without ever holding a float32 copy of them.
 */
final class Bf16Lanes {

  private static final VectorSpecies<Float> F = VectorKernels.F;
  private static final int L = F.length();

  /** As many 16-bit lanes as a float vector has, in half its width. */
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private Bf16Lanes() {}

  /** The L values at element {@code index} of {@code bf16}, widened. */
  static FloatVector load(MemorySegment bf16, long index) {
    return widen(ShortVector.fromMemorySegment(S, bf16, 2 * index, LE));
  }

  /**
   * The first {@code count} (at most L) values at element {@code index}, widened; the other lanes
   * are zero.
   */
  static FloatVector load(MemorySegment bf16, long index, int count) {
    VectorMask<Short> m = S.indexInRange(0, count);
    return widen(ShortVector.fromMemorySegment(S, bf16, 2 * index, LE, m));
  }

  private static FloatVector widen(ShortVector halves) {
    IntVector ints = (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
    return ints.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** {@code dst[off + i] = bf16[index + i]} widened, for {@code i < n}. */
  static void widen(MemorySegment bf16, long index, float[] dst, int off, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      load(bf16, index + i).intoArray(dst, off + i);
    }
    if (i < n) {
      load(bf16, index + i, n - i).intoArray(dst, off + i, F.indexInRange(0, n - i));
    }
  }
}
