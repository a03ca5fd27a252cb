package dev.lorakit.core.io;

import dev.lorakit.core.tensor.HalfPrecision;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Element-wise widening from little-endian storage to Java arrays. */
final class Widening {
  static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfShort I16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  // Halves are converted a chunk at a time so a large tensor needs no second full-size buffer.
  private static final int CHUNK = 8192;

  private Widening() {}

  static void toFloats(MemorySegment bytes, SafeTensorsDtype dtype, float[] out) {
    switch (dtype) {
      case F32 -> MemorySegment.copy(bytes, F32, 0, out, 0, out.length);
      case F64 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) bytes.getAtIndex(F64, i);
        }
      }
      case F16, BF16 -> {
        short[] chunk = new short[Math.min(CHUNK, out.length)];
        for (int start = 0; start < out.length; start += CHUNK) {
          int n = Math.min(CHUNK, out.length - start);
          MemorySegment.copy(bytes, I16, 2L * start, chunk, 0, n);
          for (int i = 0; i < n; i++) {
            out[start + i] =
                dtype == SafeTensorsDtype.BF16
                    ? HalfPrecision.bf16ToFloat(chunk[i])
                    : HalfPrecision.f16ToFloat(chunk[i]);
          }
        }
      }
      default -> throw new IllegalArgumentException(dtype + " is not a floating-point type");
    }
  }

  static void toLongs(MemorySegment bytes, SafeTensorsDtype dtype, long[] out) {
    switch (dtype) {
      case I64 -> MemorySegment.copy(bytes, I64, 0, out, 0, out.length);
      case I32 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = bytes.getAtIndex(I32, i);
        }
      }
      case I16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = bytes.getAtIndex(I16, i);
        }
      }
      case I8, BOOL -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = bytes.get(ValueLayout.JAVA_BYTE, i);
        }
      }
      case U8 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Byte.toUnsignedLong(bytes.get(ValueLayout.JAVA_BYTE, i));
        }
      }
      default -> throw new IllegalArgumentException(dtype + " is not an integer type");
    }
  }
}
