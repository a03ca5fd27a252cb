package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The alternative hypothesis of a test, spelled as scipy spells it. */
public enum Alternative {
  TWO_SIDED("two-sided"),
  GREATER("greater"),
  LESS("less");

  private final String spelling;

  Alternative(String spelling) {
    this.spelling = spelling;
  }

  /** The scipy spelling: {@code two-sided}, {@code greater} or {@code less}. */
  public String spelling() {
    return spelling;
  }

  /**
   * Parses the scipy spelling; anything else is an {@link LorakitInputException} naming the
   * choices.
   */
  public static Alternative parse(String s) {
    for (Alternative a : values()) if (a.spelling.equalsIgnoreCase(s)) return a;
    throw new LorakitInputException(
        "unknown alternative '"
            + s
            + "': expected one of "
            + Arrays.stream(values()).map(Alternative::spelling).collect(Collectors.joining(", "))
            + ".");
  }

  @Override
  public String toString() {
    return spelling;
  }
}
