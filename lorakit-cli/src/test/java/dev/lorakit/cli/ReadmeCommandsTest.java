package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command the README tells a user to type exists, with options it has; the cheap ones are
 * run.
 */
class ReadmeCommandsTest {

  static List<List<String>> commands() throws IOException {
    Path root = Path.of(System.getProperty("lorakit.project.root", ".."));
    String readme = Files.readString(root.resolve("README.md"));
    Matcher block = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    List<List<String>> out = new ArrayList<>();
    while (block.find()) {
      StringBuilder joined = new StringBuilder();
      for (String line : block.group(1).split("\n")) {
        String code = line.replaceAll("\\s+#.*$", "").strip();
        if (code.endsWith("\\")) {
          joined.append(code, 0, code.length() - 1).append(' ');
          continue;
        }
        joined.append(code);
        String cmd = joined.toString().strip();
        joined.setLength(0);
        if (!cmd.isEmpty()) out.add(List.of(cmd.split("\\s+")));
      }
    }
    return out;
  }

  @Test
  void everyLorakitCommandAndOptionInTheReadmeExists() throws IOException {
    List<List<String>> commands = commands();
    assertTrue(
        commands.stream().anyMatch(c -> c.equals(List.of("./lorakit", "demo"))),
        "the demo is there");
    assertTrue(
        commands.stream().anyMatch(c -> c.equals(List.of("./build", "test"))),
        "the test command is there");
    CommandLine main = Main.commandLine();
    for (List<String> c : commands) {
      assertTrue(
          c.get(0).equals("./lorakit") || c.get(0).equals("./build"),
          "unknown program in README: " + c);
      if (!c.get(0).equals("./lorakit") || c.size() < 2 || c.get(1).startsWith("-")) continue;
      CommandLine sub = main.getSubcommands().get(c.get(1));
      assertTrue(sub != null, "README names a command lorakit lacks: " + c);
      for (String word : c.subList(2, c.size())) {
        if (!word.startsWith("--")) continue;
        String option = word.contains("=") ? word.substring(0, word.indexOf('=')) : word;
        assertTrue(
            sub.getCommandSpec().findOption(option) != null,
            "README: " + c.get(1) + " has no " + option);
      }
    }
  }

  @Test
  void theCheapCommandsRun(@TempDir Path dir) throws IOException {
    int ran = 0;
    for (List<String> c : commands()) {
      if (!c.get(0).equals("./lorakit")) continue;
      List<String> args = new ArrayList<>(c.subList(1, c.size()));
      boolean help = args.contains("--help") || args.contains("--version");
      boolean synth = !args.isEmpty() && args.get(0).equals("synth");
      if (!help && !synth) continue;
      if (synth) {
        int out = args.indexOf("--out");
        args.set(out + 1, dir.resolve(Path.of(args.get(out + 1)).getFileName()).toString());
        int n = args.indexOf("--n");
        args.set(n + 1, "10"); // the same command, on fewer cases
      }
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertEquals(0, r.exitCode(), c + ": " + r.err());
      assertFalse(r.out().isBlank(), c.toString());
      ran++;
    }
    assertTrue(ran >= 2, "the README shows at least --help and synth");
  }
}
