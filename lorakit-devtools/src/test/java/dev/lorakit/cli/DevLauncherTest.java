package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./lorakit-dev} script in its own process, with a stand-in for {@code java} (a shell
 * script that prints what the JVM prints first, then its arguments), so that no JVM starts: the
 * script passes the JVM flags, the classes ({@code LORAKIT_CLASSPATH}) and the command on, leaves
 * out the incubator warning and keeps the program's exit status. What {@code lorakit-dev} itself
 * prints is {@link DevMainTest}'s.
 */
class DevLauncherTest {

  private static final String FAKE_JAVA =
      """
      #!/usr/bin/env bash
      if [[ $1 == -XshowSettings:properties ]]; then
        echo "    java.specification.version = 25" >&2
        exit 0
      fi
      echo "WARNING: Using incubator modules: jdk.incubator.vector" >&2
      echo "$*"
      echo "the program's own line" >&2
      exit 3
      """;

  @Test
  void theScriptRunsDevMainWithTheFlagsAndLeavesOutOnlyTheJvmsIncubatorWarning(@TempDir Path tmp)
      throws Exception {
    Path root =
        Path.of(System.getProperty("lorakit.project.root", "..")).toAbsolutePath().normalize();
    Path java = Files.createDirectories(tmp.resolve("jdk/bin")).resolve("java");
    Files.writeString(java, FAKE_JAVA);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    ProcessBuilder pb =
        new ProcessBuilder("bash", root.resolve("lorakit-dev").toString(), "compare-grads", "x");
    pb.environment().put("JAVA_HOME", tmp.resolve("jdk").toString());
    pb.environment().put("LORAKIT_CLASSPATH", "/the/classes");
    pb.environment().remove("LORAKIT_JAVA_OPTS");
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "./lorakit-dev did not end");
    assertEquals(3, p.exitValue(), "the program's status: " + Files.readString(err));
    assertEquals("the program's own line\n", Files.readString(err));
    String args = Files.readString(out).strip();
    String flags =
        Files.readAllLines(root.resolve("scripts/jvm-flags.properties")).stream()
            .filter(l -> l.startsWith("lorakit.jvm.flags="))
            .findFirst()
            .orElseThrow()
            .substring("lorakit.jvm.flags=".length())
            .strip();
    assertTrue(args.startsWith(flags + " "), "the JVM flags first: " + args);
    assertTrue(args.endsWith("-cp /the/classes dev.lorakit.cli.DevMain compare-grads x"), args);
  }
}
