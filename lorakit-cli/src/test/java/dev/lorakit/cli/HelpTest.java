package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every option of the model commands is explained, and every option with a default says what it is. */
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
      assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), o.longestName() + " has no description");
      if (o.defaultValue() != null && !o.usageHelp() && !o.versionHelp()) {
        assertTrue(String.join(" ", o.description()).contains("(default: " + o.defaultValue() + ")"),
            command + " " + o.longestName() + " has a default but does not show it");
      }
    }
    if (options.stream().anyMatch(o -> o.defaultValue() != null)) assertTrue(r.out().contains("(default: "), r.out());
  }
}
