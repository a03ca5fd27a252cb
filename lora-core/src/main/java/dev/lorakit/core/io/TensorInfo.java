package dev.lorakit.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor's name
 * @param dtype its element type
 * @param shape its dimensions, outermost first (empty for a scalar)
 * @param begin the first byte of its data, counted from the start of the data area (after the
 *     header)
 * @param end one past its last byte, counted the same way
 */
public record TensorInfo(String name, SafeTensorsDtype dtype, long[] shape, long begin, long end) {

  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
  }

  /** The dimensions (a copy: the record stays immutable). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Dimension {@code i}. */
  public long dim(int i) {
    return shape[i];
  }

  /**
   * The product of the dimensions (1 for a scalar). The header parser has checked that it fits a
   * long.
   */
  public long elementCount() {
    long count = 1;
    for (long d : shape) {
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  /**
   * {@code elementCount() * dtype().byteSize()}, which equals {@code end - begin} for a parsed
   * header.
   */
  public long byteSize() {
    return Math.multiplyExact(elementCount(), (long) dtype.byteSize());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
