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

    /** Rounds a float to bfloat16 bits (round to nearest even; NaN stays NaN). */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Widens bfloat16 bits to a float (exact). */
    public static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
