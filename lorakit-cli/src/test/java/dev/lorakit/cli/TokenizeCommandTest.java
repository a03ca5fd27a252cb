package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenizeCommandTest {

  @TempDir static Path dir;
  private static Path mistral;

  /** The Mistral-7B-v0.1 tokenizer that lora-models bundles, written out as a plain file. */
  @BeforeAll
  static void writeTokenizer() throws IOException {
    mistral = dir.resolve("tokenizer.json");
    try (InputStream in =
        TokenizeCommandTest.class.getResourceAsStream(
            "/dev/lorakit/models/tokenizers/mistral-7b-v0.1/tokenizer.json")) {
      Files.copy(in, mistral);
    }
  }

  @Test
  void printsTheIdsOnOneLine() {
    Run r = run("tokenize", "--tokenizer", mistral.toString(), "Hello world!");
    assertEquals(0, r.status, r.err);
    assertEquals("1 22557 1526 28808" + System.lineSeparator(), r.out);
    assertEquals("", r.err);
  }

  @Test
  void noBosLeavesOutTheFirstId() {
    Run r = run("tokenize", "--tokenizer", mistral.toString(), "--no-bos", "Hello world!");
    assertEquals(0, r.status, r.err);
    assertEquals("22557 1526 28808", r.out.strip());
  }

  @Test
  void acceptsTheFolderThatHoldsTheFile() {
    Run r = run("tokenize", "--tokenizer", dir.toString(), "Hello world!");
    assertEquals("1 22557 1526 28808", r.out.strip(), r.err);
  }

  @Test
  void missingFileIsOneSentenceAndStatus2() {
    Path absent = dir.resolve("absent/tokenizer.json");
    Run r = run("tokenize", "--tokenizer", absent.toString(), "Hello");
    assertEquals(2, r.status);
    assertEquals("", r.out);
    assertEquals("lorakit tokenize: no such file: " + absent + "." + System.lineSeparator(), r.err);
  }

  @Test
  void badFileIsOneSentenceAndStatus2() throws IOException {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"model\": ");
    Run r = run("tokenize", "--tokenizer", bad.toString(), "Hello");
    assertEquals(2, r.status);
    assertEquals("", r.out);
    String err = r.err.strip();
    assertTrue(err.startsWith("lorakit tokenize: " + bad + " is not valid JSON"), err);
    assertEquals(1, r.err.lines().count(), err);
  }

  @Test
  void textIsRequired() {
    Run r = run("tokenize", "--tokenizer", mistral.toString());
    assertEquals(2, r.status);
    assertTrue(r.err.contains("TEXT"), r.err);
  }

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }
}
