package dev.lorakit.eval.synth;

import java.math.BigDecimal;

/** Small pieces of clinical wording shared by the sites. */
final class Words {

  private Words() {}

  /** "67-year-old woman", "9-year-old boy". */
  static String person(int age, boolean male) {
    String noun = age < 18 ? (male ? "boy" : "girl") : (male ? "man" : "woman");
    return age + "-year-old " + noun;
  }

  /** A dose without trailing zeros: 40, 42.5, 36.25. */
  static String gy(double dose) {
    return BigDecimal.valueOf(dose).stripTrailingZeros().toPlainString();
  }

  /** "40 Gy in 15 fractions", "24 Gy in a single fraction". */
  static String dose(double gy, int fractions) {
    return gy(gy) + " Gy in " + fractions(fractions);
  }

  /** Proton dose: "67.5 Gy(RBE) in 15 fractions". */
  static String rbe(double gy, int fractions) {
    return gy(gy) + " Gy(RBE) in " + fractions(fractions);
  }

  static String fractions(int n) {
    return n == 1 ? "a single fraction" : n + " fractions";
  }

  /** The performance status in one of the ways clinic letters write it. */
  static String ecog(Chance r, int score) {
    return r.pick(
        "ECOG " + score, "ECOG performance status " + score, "WHO performance status " + score);
  }

  static String side(boolean right) {
    return right ? "right" : "left";
  }

  /** {@code x} with one decimal: 7.0, 12.4. */
  static String oneDecimal(double x) {
    long tenths = Math.round(x * 10);
    return (tenths < 0 ? "-" : "") + Math.abs(tenths) / 10 + "." + Math.abs(tenths) % 10;
  }

  /** "a" or "an" before {@code word}. */
  static String article(String word) {
    return "aeiou".indexOf(Character.toLowerCase(word.charAt(0))) >= 0 ? "an" : "a";
  }
}
