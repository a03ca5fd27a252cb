package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.util.Locale;

/**
 * How the signed-rank test treats zero differences (scipy's {@code zero_method}).
 *
 * <ul>
 *   <li>{@link #WILCOX}: zeros are dropped before ranking.
 *   <li>{@link #PRATT}: zeros are ranked with the others, then left out of the rank sums; the
 *       normal approximation is adjusted for them (Cureton 1967).
 *   <li>{@link #ZSPLIT}: zeros are ranked, and half of their rank sum goes to each side.
 * </ul>
 */
public enum ZeroMethod {
  WILCOX,
  PRATT,
  ZSPLIT;

  /** The scipy spelling ({@code wilcox}, {@code pratt}, {@code zsplit}). */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the scipy spelling; anything else is an {@link LorakitInputException}. */
  public static ZeroMethod parse(String s) {
    for (ZeroMethod z : values()) if (z.spelling().equalsIgnoreCase(s)) return z;
    throw new LorakitInputException(
        "unknown zero method '" + s + "': expected wilcox, pratt or zsplit.");
  }

  @Override
  public String toString() {
    return spelling();
  }
}
