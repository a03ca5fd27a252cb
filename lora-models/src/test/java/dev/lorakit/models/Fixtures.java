package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Where the tests find their fixture files. */
final class Fixtures {

  private Fixtures() {}

  /**
   * A file or folder under {@code src/test/resources/dev/lorakit/models}; {@code hf/...}, the
   * reference folders, come from the testkit, which stores them once.
   */
  static Path resource(String relative) {
    if (relative.startsWith("hf/")) {
      return dev.lorakit.testkit.Fixtures.hf(relative.substring(3));
    }
    URL url = Fixtures.class.getResource(relative);
    assertTrue(url != null, "test resource missing: " + relative);
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The project's shared fixtures folder: {@code $LORAKIT_SHARED/fixtures}, else {@code <project
   * root>/../shared/fixtures}; empty when neither exists.
   */
  static Optional<Path> sharedFixtures() {
    String env = System.getenv("LORAKIT_SHARED");
    if (env != null && !env.isBlank() && Files.isDirectory(Path.of(env, "fixtures"))) {
      return Optional.of(Path.of(env, "fixtures"));
    }
    String root = System.getProperty("lorakit.project.root");
    if (root != null && Files.isDirectory(Path.of(root).resolve("../shared/fixtures"))) {
      return Optional.of(Path.of(root).resolve("../shared/fixtures").normalize());
    }
    return Optional.empty();
  }

  /** A file of the shared fixtures that licence keeps out of the repository, if it is there. */
  static Optional<Path> shared(String relative) {
    return sharedFixtures().map(f -> f.resolve(relative)).filter(Files::isRegularFile);
  }

  /** Skips the calling test, saying so on stderr too, unless {@code file} was found. */
  static void skipUnlessFound(Optional<Path> file, String relative) {
    if (file.isEmpty()) {
      String reason =
          "skipped: "
              + relative
              + " not found in $LORAKIT_SHARED/fixtures or <project root>/../shared/fixtures";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  /**
   * The JSON header of a safetensors file, read without any project code (an independent check).
   */
  static String safetensorsHeader(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      ByteBuffer header = ByteBuffer.allocate((int) len.flip().getLong());
      ch.read(header, 8);
      return new String(header.array(), StandardCharsets.UTF_8);
    }
  }
}
