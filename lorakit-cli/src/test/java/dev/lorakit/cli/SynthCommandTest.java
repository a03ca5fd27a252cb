package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.eval.cases.CaseFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SynthCommandTest {

  @TempDir Path dir;

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void writesTheCasesAndPrintsStats() throws IOException {
    Path file = dir.resolve("cases.jsonl");
    Run r = run("synth", "--n", "400", "--seed", "7", "--out", file.toString(), "--stats");
    assertEquals(0, r.status(), r.err());
    assertEquals("", r.err());
    assertTrue(r.out().startsWith("wrote 400 cases to " + file + " (seed 7, noise 0.05)"), r.out());
    assertTrue(r.out().contains("400 cases, "), r.out());
    assertTrue(r.out().matches("(?s).*\\nphoton +\\d+ +\\d+\\.\\d\\n.*"), r.out());
    assertTrue(r.out().contains("breast") && r.out().contains("C61 ("), r.out());
    assertEquals(400, CaseFile.read(file).size());
    assertEquals(400, Files.readAllLines(file).size());
  }

  @Test
  void sameSeedSameBytesAndNoStatsWithoutTheFlag() throws IOException {
    Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl");
    Run ra = run("synth", "--n", "300", "--seed", "11", "--noise", "0.1", "--out", a.toString());
    run("synth", "--n", "300", "--seed", "11", "--noise", "0.1", "--out", b.toString());
    assertEquals(0, ra.status());
    assertFalse(ra.out().contains("modality"), ra.out());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  @Test
  void badCountIsOneSentenceAndStatus2() {
    Path file = dir.resolve("x.jsonl");
    for (String n : new String[] {"0", "-3", "abc"}) {
      Run r = run("synth", "--n", n, "--out", file.toString());
      assertEquals(Main.USER_ERROR, r.status(), r.err());
      assertEquals("", r.out());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().startsWith("lorakit synth: ") && r.err().contains("--n"), r.err());
    }
    assertFalse(Files.exists(file));
  }

  @Test
  void badNoiseAndMissingOptionsAreUserErrors() {
    Run noise =
        run("synth", "--n", "5", "--noise", "1.5", "--out", dir.resolve("x.jsonl").toString());
    assertEquals(Main.USER_ERROR, noise.status());
    assertTrue(noise.err().contains("--noise is 1.5, expected 0 to 1."), noise.err());
    Run missing = run("synth", "--n", "5");
    assertEquals(Main.USER_ERROR, missing.status());
    assertTrue(missing.err().contains("--out"), missing.err());
    assertEquals(1, missing.err().strip().lines().count(), missing.err());
  }

  @Test
  void anExistingFileIsReplacedOnlyWithOverwrite() throws IOException {
    Path file = Files.writeString(dir.resolve("mine.jsonl"), "my notes\n");
    Run r = run("synth", "--n", "5", "--out", file.toString());
    assertEquals(Main.USER_ERROR, r.status());
    assertEquals(
        "lorakit synth: --out "
            + file
            + " already exists; give --overwrite to replace it, or choose another "
            + "file.",
        r.err().strip());
    assertEquals("my notes\n", Files.readString(file));
    Run again = run("synth", "--n", "5", "--out", file.toString(), "--overwrite");
    assertEquals(0, again.status(), again.err());
    assertEquals(5, CaseFile.read(file).size());
  }

  @Test
  void theOutputFolderIsCreatedWhenMissing() throws IOException {
    Path inMissingFolder = dir.resolve("data").resolve("more").resolve("cases.jsonl");
    Run r = run("synth", "--n", "5", "--out", inMissingFolder.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(5, Files.readAllLines(inMissingFolder).size());
  }

  @Test
  void unwritableOutIsOneSentenceAndStatus2() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Path underAFile = file.resolve("sub").resolve("cases.jsonl");
    Run r = run("synth", "--n", "5", "--out", underAFile.toString());
    assertEquals(Main.USER_ERROR, r.status());
    assertEquals(
        "lorakit synth: --out "
            + underAFile
            + ": cannot create the folder "
            + underAFile.getParent()
            + ", because "
            + file
            + " is a file.",
        r.err().strip());
    Path folder = Files.createDirectory(dir.resolve("a-folder"));
    Run f = run("synth", "--n", "5", "--out", folder.toString());
    assertEquals(Main.USER_ERROR, f.status());
    assertEquals("lorakit synth: --out " + folder + " is a folder, not a file.", f.err().strip());
  }
}
