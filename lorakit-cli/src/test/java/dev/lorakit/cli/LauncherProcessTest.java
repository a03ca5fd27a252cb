package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.OperatingSystemMXBean;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command as a user runs it: the real {@code ./lorakit} launcher in its own process, signals
 * included. (The bad option that used to hang and the exhausted heap are replayed by {@link
 * WhyCasesTest}.)
 */
class LauncherProcessTest {

  @TempDir static Path dir;
  static TinyRun run;
  static Path model;
  static Path data;

  @BeforeAll
  static void files() throws IOException {
    run = TinyRun.write(dir, 3, new SyntheticCases(5, 0).generate(8));
    model = run.model();
    data = run.data();
  }

  static String[] train(Path out, String... more) {
    return run.train(out, List.of("--grad-accum", "1"), more);
  }

  @Test
  void stoppingTrainingSaysWhereItStoppedAndHowToContinue() throws Exception {
    Path out = dir.resolve("stopped");
    Launcher l =
        Launcher.start(Map.of(), train(out, "--max-steps", "100000", "--checkpoint-every", "0"));
    if (!l.waitForErr(e -> e.contains("train ["), 120))
      throw new AssertionError("no step: " + l.await(60));
    CliRun second =
        CliRun.of(
            train(out, "--max-steps", "3", "--overwrite")); // another process holds the folder
    assertEquals(Main.USER_ERROR, second.exitCode(), second.err());
    assertEquals(
        "lorakit train: --out "
            + out
            + " is being written by another lorakit command (train); wait for it "
            + "to end or choose another folder.",
        second.err().strip());
    l.terminate(); // as Ctrl-C: the same shutdown path
    Launcher.Result r = l.await(120);
    Matcher m =
        Pattern.compile(
                "Stopped at step (\\d+) of 100000; checkpoint (\\S+); continue with the same command "
                    + "and --resume\\.")
            .matcher(r.err());
    assertTrue(m.find(), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
    assertTrue(Files.isRegularFile(Path.of(m.group(2))), m.group(2));
    assertEquals(
        out.resolve("checkpoints/checkpoint-" + m.group(1) + ".safetensors").toString(),
        m.group(2));
    assertFalse(
        Files.exists(out.resolve("adapter_model.safetensors")),
        "no adapter until the run is complete");
    try (Stream<Path> s = Files.list(out)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().startsWith(".lorakit-tmp-")), "no leftovers");
    }
  }

  @Test
  void quietWhenAllIsWell() throws Exception {
    Launcher.Result cpu =
        Launcher.run(
            120,
            Map.of(),
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "hi",
            "--device",
            "cpu",
            "--max-new-tokens",
            "2");
    assertEquals(0, cpu.status(), cpu.err());
    assertEquals("", cpu.err(), "no JVM warning, no device line when the device was asked for");
    Launcher.Result auto =
        Launcher.run(
            120,
            Map.of(),
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "hi",
            "--device",
            "auto",
            "--max-new-tokens",
            "2");
    assertEquals(0, auto.status(), auto.err());
    List<String> lines = auto.err().lines().toList();
    assertEquals(1, lines.size(), "one line naming the device chosen: " + auto.err());
    assertTrue(lines.get(0).startsWith("Using the "), lines.get(0));
  }

  @Test
  void standardInputReachesTheCommand() throws Exception {
    Path csv = dir.resolve("pairs.csv");
    Files.writeString(csv, "x,y\n0.62,0.5\n0.85,0.5\n0.45,0.5\n0.9,0.5\n0.72,0.5\n");
    Launcher.Result r =
        Launcher.startWithInput(csv, "stats", "wilcoxon", "--alternative", "greater", "--json")
            .await(60);
    assertEquals(0, r.status(), r.err());
    assertEquals(
        "{\"statistic\":14.0,\"pvalue\":0.0625,\"method\":\"exact\",\"n\":5}", r.out().strip());
  }

  @Test
  void theHeapIsSizedToTheMachineUnlessLorakitJavaOptsSetsIt() throws Exception {
    long machine =
        ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    Launcher.Result sized =
        Launcher.run(60, Map.of("LORAKIT_JAVA_OPTS", "-XshowSettings:vm"), "--version");
    double heap = heapGiB(sized.err());
    double expected = 0.75 * machine / (1L << 30);
    assertTrue(
        Math.abs(heap - expected) < 0.15 * expected,
        heap + " GiB heap, expected about " + expected);
    Launcher.Result set =
        Launcher.run(60, Map.of("LORAKIT_JAVA_OPTS", "-Xmx300m -XshowSettings:vm"), "--version");
    assertEquals(300.0 / 1024, heapGiB(set.err()), 0.02);
  }

  private static double heapGiB(String settings) {
    Matcher m = Pattern.compile("Max\\. Heap Size[^:]*: ([0-9.]+)([KMG])").matcher(settings);
    assertTrue(m.find(), settings);
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "K" -> v / (1 << 20);
      case "M" -> v / 1024;
      default -> v;
    };
  }

  @Test
  void outputIsReadableByOthersUnderTheUsualUmask() throws Exception {
    // A model folder and an adapter folder, written as every command writes: atomic files,
    // temporary folders.
    Path out = dir.resolve("perm");
    Launcher.Result r =
        Launcher.startWithUmask("022", train(out.resolve("adapter"), "--max-steps", "1"))
            .await(120);
    assertEquals(0, r.status(), r.err());
    r =
        Launcher.startWithUmask(
                "022",
                "merge",
                "--model",
                model.toString(),
                "--adapter",
                out.resolve("adapter").toString(),
                "--out",
                out.resolve("model").toString())
            .await(120);
    assertEquals(0, r.status(), r.err());
    try (Stream<Path> s = Files.walk(out)) {
      for (Path p : s.toList()) {
        String want = Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--";
        assertEquals(
            want, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
      }
    }
  }
}
