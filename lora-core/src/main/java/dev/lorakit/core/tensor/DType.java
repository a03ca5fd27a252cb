package dev.lorakit.core.tensor;

/** The element types a {@link Tensor} can hold. */
public enum DType {
  /** IEEE 754 binary32. */
  F32(4),
  /** bfloat16: the top half of a binary32 (8-bit exponent, 7-bit mantissa). */
  BF16(2),
  /** IEEE 754 binary16. */
  F16(2);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }
}
