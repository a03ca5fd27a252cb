package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option of the model commands is explained, and every option with a default says what it is.
 */
class HelpTest {

  @ParameterizedTest
  @ValueSource(strings = {"demo", "train", "eval", "generate", "merge"})
  void helpExplainsEveryOptionWithItsDefault(String command) {
    CliRun r = CliRun.of(command, "--help");
    assertEquals(0, r.exitCode(), r.err());
    CommandLine sub = Main.commandLine().getSubcommands().get(command);
    List<OptionSpec> options = sub.getCommandSpec().options();
    for (OptionSpec o : options) {
      assertTrue(r.out().contains(o.longestName()), command + " --help lacks " + o.longestName());
      assertTrue(
          o.description().length > 0 && !o.description()[0].isBlank(),
          o.longestName() + " has no description");
      if (o.defaultValue() != null && !o.usageHelp() && !o.versionHelp()) {
        assertTrue(
            String.join(" ", o.description()).contains("(default: " + o.defaultValue() + ")"),
            command + " " + o.longestName() + " has a default but does not show it");
      }
    }
    if (options.stream().anyMatch(o -> o.defaultValue() != null))
      assertTrue(r.out().contains("(default: "), r.out());
  }

  /**
   * Every command's help renders without picocli's format warnings (a bare '%' in a description
   * causes one).
   */
  @Test
  void everyCommandsHelpFormatsCleanly() {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      renderAll(Main.commandLine());
    } finally {
      System.setErr(saved);
    }
    String err = captured.toString(StandardCharsets.UTF_8);
    assertFalse(err.contains("picocli WARN"), err);
  }

  private static void renderAll(CommandLine cl) {
    cl.getUsageMessage();
    cl.getSubcommands().values().forEach(HelpTest::renderAll);
  }
}
