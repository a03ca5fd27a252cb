package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * lorakit-dev has the development commands, lorakit has none of them, and every help text renders
 * cleanly.
 */
class DevMainTest {

  private static final List<String> DEV =
      List.of("bench-train", "make-random-model", "lora-grads", "compare-grads");

  @Test
  void theToolsAreLorakitDevCommandsAndNotLorakitOnes() {
    DevRun help = DevRun.of("--help");
    assertEquals(0, help.exitCode(), help.err());
    for (String c : DEV) {
      assertTrue(help.out().contains(c), c + " in\n" + help.out());
      assertFalse(Main.commandLine().getSubcommands().containsKey(c), "lorakit has " + c);
    }
  }

  @Test
  void mistakesAreNamedWithLorakitDev() {
    DevRun unknown = DevRun.of("make-randm-model");
    assertEquals(Main.USER_ERROR, unknown.exitCode(), unknown.err());
    assertEquals(
        "lorakit-dev: 'make-randm-model' is not a lorakit-dev command; did you mean"
            + " make-random-model? (see 'lorakit-dev --help').",
        unknown.err().strip());
    DevRun missing = DevRun.of("compare-grads");
    assertEquals(Main.USER_ERROR, missing.exitCode(), missing.err());
    assertEquals(
        "lorakit-dev compare-grads: Missing required parameters: 'ACTUAL', 'REFERENCE' (see"
            + " 'lorakit-dev compare-grads --help').",
        missing.err().strip());
  }

  @Test
  void everyCommandsHelpFormatsCleanly() {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      renderAll(DevMain.commandLine());
    } finally {
      System.setErr(saved);
    }
    String err = captured.toString(StandardCharsets.UTF_8);
    assertFalse(err.contains("picocli WARN"), err);
  }

  private static void renderAll(CommandLine cl) {
    cl.getUsageMessage();
    cl.getSubcommands().values().forEach(DevMainTest::renderAll);
  }
}
