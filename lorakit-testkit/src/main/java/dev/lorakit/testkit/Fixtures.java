package dev.lorakit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The reference fixtures, stored once (in this module's {@code dev/lorakit/testkit/hf}, origin in
 * its {@code NOTICE.md}), and the optional shared fixtures folder. Tests read fixtures as files:
 * when the testkit is a jar (a reactor build past {@code package}), its fixtures are copied once
 * per JVM to a temporary folder.
 */
public final class Fixtures {

  private static final String HF = "/dev/lorakit/testkit/hf/";

  /**
   * The reference model folders: a tiny base model, its PEFT adapter and what transformers + PEFT
   * computed.
   */
  public static final List<String> REFERENCE_MODELS =
      List.of("tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied");

  private Fixtures() {}

  /**
   * A folder or file under {@code hf/}, e.g. {@code hf("tiny-llama/adapter_init")}; {@code hf("")}
   * is the folder.
   */
  public static Path hf(String relative) {
    Path p = Extracted.ROOT.resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalStateException("The testkit has no fixture hf/" + relative + ".");
    }
    return p;
  }

  /**
   * A file or folder of the shared fixtures ($LORAKIT_SHARED/fixtures, else <project
   * root>/../shared/fixtures).
   */
  public static Optional<Path> shared(String relative) {
    String env = System.getenv("LORAKIT_SHARED");
    String root = System.getProperty("lorakit.project.root", ".");
    for (Path base :
        new Path[] {
          env == null || env.isBlank() ? null : Path.of(env, "fixtures"),
          Path.of(root, "..", "shared", "fixtures")
        }) {
      if (base != null && Files.exists(base.resolve(relative))) {
        return Optional.of(base.resolve(relative).normalize());
      }
    }
    return Optional.empty();
  }

  /** The {@code hf} folder on disk, found (or extracted) on first use. */
  private static final class Extracted {
    static final Path ROOT = locate();

    private static Path locate() {
      URL url = Fixtures.class.getResource(HF + "NOTICE.md");
      if (url == null) {
        throw new IllegalStateException(
            "The testkit's fixtures (" + HF + ") are not on the class path.");
      }
      try {
        URI uri = url.toURI();
        if (uri.getScheme().equals("file")) {
          return Path.of(uri).getParent();
        }
        Path target = Files.createTempDirectory("lorakit-fixtures");
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          Path source = jar.getPath(HF);
          try (Stream<Path> all = Files.walk(source)) {
            for (Path p : (Iterable<Path>) all::iterator) {
              Path dst = target.resolve(source.relativize(p).toString());
              if (Files.isDirectory(p)) {
                Files.createDirectories(dst);
              } else {
                Files.copy(p, dst);
              }
            }
          }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(target)));
        return target;
      } catch (IOException e) {
        throw new UncheckedIOException("Could not extract the testkit's fixtures.", e);
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }

    private static void delete(Path dir) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        // A temporary folder left behind is harmless.
      }
    }
  }
}
