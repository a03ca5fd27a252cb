package dev.lorakit.core.tensor;

/**
 * Conversions between float and the two 16-bit float formats models are stored in: bfloat16 (the
 * top half of a float32) and IEEE 754 binary16. Narrowing rounds to nearest, ties to even, as
 * PyTorch does.
 */
public final class HalfPrecision {
  private HalfPrecision() {}

  /** Widens bfloat16 bits to float; exact. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** Narrows a float to bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      // Truncation could clear every mantissa bit and turn the NaN into an infinity; set the quiet
      // bit.
      return (short) ((bits >>> 16) | 0x0040);
    }
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** Widens IEEE binary16 bits to float; exact. */
  public static float f16ToFloat(short bits) {
    return Float.float16ToFloat(bits);
  }

  /**
   * Narrows a float to IEEE binary16 bits, rounding to nearest even; overflow gives an infinity.
   */
  public static short floatToF16(float value) {
    return Float.floatToFloat16(value);
  }
}
