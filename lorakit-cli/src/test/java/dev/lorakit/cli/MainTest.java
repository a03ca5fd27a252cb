package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void versionNamesTheProjectVersionAndTheJava() {
    Run r = run("--version");
    assertEquals(0, r.status());
    assertTrue(
        r.out().matches("(?s)lorakit \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R.*Java 2[5-9].*"), r.out());
  }

  @Test
  void helpListsTheCommands() {
    Run r = run("--help");
    assertEquals(0, r.status());
    assertTrue(r.out().contains("Usage: lorakit"), r.out());
    assertTrue(r.out().contains("Commands:"), r.out());
  }

  @Test
  void anUnknownOptionIsAUserError() {
    Run r = run("--no-such-option");
    assertEquals(Main.USER_ERROR, r.status());
    assertTrue(r.err().contains("Unknown option: '--no-such-option'"), r.err());
  }
}
