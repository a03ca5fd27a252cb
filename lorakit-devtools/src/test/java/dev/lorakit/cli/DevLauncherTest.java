package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real {@code ./lorakit-dev} launcher in its own process, on the classes under test ({@code
 * LORAKIT_CLASSPATH} makes it skip its own build): one start, for what only the script does.
 */
class DevLauncherTest {

  @Test
  void aMistakeIsOneSentenceNamingLorakitDevWithoutTheJvmsIncubatorWarning() throws Exception {
    Path root =
        Path.of(System.getProperty("lorakit.project.root", "..")).toAbsolutePath().normalize();
    Path err = Files.createTempFile("lorakit-dev-err", ".txt");
    try {
      ProcessBuilder pb =
          new ProcessBuilder("bash", root.resolve("lorakit-dev").toString(), "compare-grads");
      pb.environment().put("LORAKIT_CLASSPATH", System.getProperty("java.class.path"));
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      pb.environment().remove("LORAKIT_JAVA_OPTS");
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(err.toFile());
      Process p = pb.start();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "./lorakit-dev did not end");
      assertEquals(Main.USER_ERROR, p.exitValue(), Files.readString(err));
      assertEquals(
          "lorakit-dev compare-grads: Missing required parameters: 'ACTUAL', 'REFERENCE' (see"
              + " 'lorakit-dev compare-grads --help').\n",
          Files.readString(err));
    } finally {
      Files.delete(err);
    }
  }
}
