package dev.lorakit.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

  /** Every bfloat16 value widens exactly and narrows back to itself. */
  @Test
  void everyBf16ValueRoundTrips() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      float f = HalfPrecision.bf16ToFloat((short) bits);
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(f))));
      } else {
        assertEquals(
            (short) bits, HalfPrecision.floatToBf16(f), "bits " + Integer.toHexString(bits));
      }
    }
  }

  /** Narrowing picks the nearer neighbour, and on a tie the one with an even last bit. */
  @Test
  void bf16NarrowingRoundsToNearestEven() {
    Random random = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (Float.isNaN(f) || Float.isInfinite(f)) {
        continue;
      }
      int truncated = Float.floatToRawIntBits(f) >>> 16;
      // Magnitudes in double, with the upper neighbour one bf16 ulp up as if the exponent were
      // unbounded:
      // IEEE rounding sends values past the largest finite bf16 plus half an ulp to infinity.
      float down = Math.abs(Float.intBitsToFloat(truncated << 16));
      double up = down + Math.ulp(down) * 65536.0;
      double distDown = Math.abs((double) f) - down;
      double distUp = up - Math.abs((double) f);
      int expected =
          distDown < distUp
              ? truncated
              : distUp < distDown
                  ? truncated + 1
                  : (truncated & 1) == 0 ? truncated : truncated + 1;
      assertEquals(
          (short) expected,
          HalfPrecision.floatToBf16(f),
          "float bits " + Integer.toHexString(Float.floatToRawIntBits(f)));
    }
    // Exact ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and goes to the even one (1).
    assertEquals((short) 0x3F80, HalfPrecision.floatToBf16(1f + 0x1p-8f));
    assertEquals((short) 0x3F82, HalfPrecision.floatToBf16(1f + 3 * 0x1p-8f));
    assertEquals(
        (short) 0x7F80, HalfPrecision.floatToBf16(Float.MAX_VALUE), "rounds up to infinity");
    assertEquals((short) 0xFF80, HalfPrecision.floatToBf16(Float.NEGATIVE_INFINITY));
  }

  @Test
  void nanStaysNanEvenWhenOnlyLowMantissaBitsAreSet() {
    float nan = Float.intBitsToFloat(0x7F800001);
    assertTrue(Float.isNaN(nan));
    assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(nan))));
  }

  @Test
  void f16KnownValues() {
    assertEquals(1.0f, HalfPrecision.f16ToFloat((short) 0x3C00));
    assertEquals(65504f, HalfPrecision.f16ToFloat((short) 0x7BFF));
    assertEquals((short) 0x3555, HalfPrecision.floatToF16(1f / 3));
    assertEquals((short) 0x7C00, HalfPrecision.floatToF16(70000f), "overflow gives infinity");
    assertEquals(0x1p-24f, HalfPrecision.f16ToFloat((short) 1), "smallest subnormal");
  }
}
