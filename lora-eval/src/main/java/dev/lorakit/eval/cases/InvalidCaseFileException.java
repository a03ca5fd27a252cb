package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;
import java.util.List;

/**
 * A case file with one or more bad lines. {@link #problems()} holds every problem found, one
 * sentence each ("cases.jsonl line 7: field 'modality' is 'gamma', expected photon, proton,
 * electron or brachytherapy."); the message lists them too, up to {@value #LISTED} of them, then
 * says how many more there are.
 */
public final class InvalidCaseFileException extends LorakitInputException {

  /** How many problems the message spells out; {@link #problems()} always has all of them. */
  public static final int LISTED = 100;

  private final transient List<String> problems;

  InvalidCaseFileException(String fileName, List<String> problems) {
    super(message(fileName, problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found in the file, in line order. */
  public List<String> problems() {
    return problems;
  }

  private static String message(String fileName, List<String> problems) {
    StringBuilder b = new StringBuilder();
    b.append(fileName)
        .append(" has ")
        .append(problems.size())
        .append(problems.size() == 1 ? " problem:" : " problems:");
    for (int i = 0; i < Math.min(LISTED, problems.size()); i++)
      b.append("\n  ").append(problems.get(i));
    if (problems.size() > LISTED)
      b.append("\n  ... and ").append(problems.size() - LISTED).append(" more.");
    return b.toString();
  }
}
