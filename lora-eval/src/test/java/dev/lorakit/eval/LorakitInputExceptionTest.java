package dev.lorakit.eval;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.InvalidCaseFileException;
import dev.lorakit.eval.cases.SplitFractions;
import dev.lorakit.eval.data.InstructionFile;
import dev.lorakit.eval.stats.DifferencesCsv;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data and settings the user got wrong are a {@link LorakitInputException} whose sentence names the
 * culprit.
 */
class LorakitInputExceptionTest {

  @TempDir Path dir;

  private static void assertNames(LorakitInputException e, String... culprits) {
    for (String c : culprits)
      assertTrue(e.getMessage().contains(c), "\"" + e.getMessage() + "\" should name " + c);
  }

  @Test
  void aBadCaseLineNamesTheFileLineAndField() throws IOException {
    Path file =
        Files.writeString(dir.resolve("cases.jsonl"), "{\"id\": \"a\", \"diagnosis\": 3}\n");
    LorakitInputException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(file));
    assertNames(e, "cases.jsonl", "line 1", "diagnosis");
  }

  @Test
  void anEmptyCompletionAndAWordInANumberColumnAreNamed() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("pairs.jsonl"), "{\"prompt\": \"p\", \"completion\": \"\"}\n");
    assertNames(
        assertThrows(LorakitInputException.class, () -> InstructionFile.read(file)),
        "pairs.jsonl",
        "completion");
    assertNames(
        assertThrows(
            LorakitInputException.class,
            () -> DifferencesCsv.read(new StringReader("d\n0.5\nmany\n"), "d.csv")),
        "d.csv:3",
        "\"many\"");
  }

  @Test
  void aSplitThatIsNotThreeFractionsIsNamed() {
    assertNames(
        assertThrows(LorakitInputException.class, () -> SplitFractions.parse("0.8,0.2")),
        "'0.8,0.2'");
  }
}
