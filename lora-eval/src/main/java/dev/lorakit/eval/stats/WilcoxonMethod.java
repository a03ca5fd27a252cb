package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.util.Locale;

/**
 * How the p-value of the signed-rank test is found (scipy's {@code method}). {@link #PERMUTATION}
 * is never asked for by a user: {@link #AUTO} picks it for small samples with ties or zeros, and
 * results report it.
 */
public enum WilcoxonMethod {
  /**
   * scipy's rule: exact for n &le; 50 without ties or zeros, sign-flip permutation for n &le; 13
   * otherwise, else asymptotic.
   */
  AUTO,
  /** The exact null distribution of the signed-rank sum (conservative with ties or zeros). */
  EXACT,
  /** The normal approximation with tie correction and optional continuity correction. */
  ASYMPTOTIC,
  /** All 2<sup>n</sup> sign flips of the differences. */
  PERMUTATION;

  /** The spelling used on the command line and in JSON. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code auto}, {@code exact} or {@code asymptotic}. */
  public static WilcoxonMethod parse(String s) {
    for (WilcoxonMethod m : new WilcoxonMethod[] {AUTO, EXACT, ASYMPTOTIC}) {
      if (m.spelling().equalsIgnoreCase(s)) return m;
    }
    throw new LorakitInputException(
        "unknown method '" + s + "': expected auto, exact or asymptotic.");
  }

  @Override
  public String toString() {
    return spelling();
  }
}
