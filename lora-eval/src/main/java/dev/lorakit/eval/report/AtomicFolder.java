package dev.lorakit.eval.report;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.OutputFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a folder so that readers never see it half-written: everything goes into a temporary
 * folder beside the target, each file is flushed to disk, and the folder is then renamed into
 * place. An existing target is first renamed aside and deleted only after the new one is in place.
 */
final class AtomicFolder {

  /** Fills the temporary folder. */
  @FunctionalInterface
  interface Filler {
    void fill(Path folder) throws IOException;
  }

  private AtomicFolder() {}

  static void write(Path target, Filler filler) throws IOException {
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null)
      throw new LorakitInputException("cannot write a report to the file-system root.");
    Files.createDirectories(parent);
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new LorakitInputException(target + " exists and is not a folder.");
    }
    String name = absolute.getFileName().toString();
    Path temp = Files.createTempDirectory(parent, "." + name + ".tmp-");
    try {
      filler.fill(temp);
      syncAll(temp);
      if (Files.exists(absolute)) {
        Path old = Files.createTempDirectory(parent, "." + name + ".old-");
        Files.delete(old);
        move(absolute, old);
        move(temp, absolute);
        deleteTree(old);
      } else {
        move(temp, absolute);
      }
    } catch (IOException | RuntimeException e) {
      deleteTree(temp);
      throw e;
    }
  }

  /** Writes UTF-8 text to a file in the folder being filled. */
  static void writeString(Path file, String text) throws IOException {
    Files.writeString(
        file,
        text,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static void syncAll(Path folder) throws IOException {
    try (var files = Files.walk(folder)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
    }
  }

  private static void deleteTree(Path root) {
    try {
      OutputFolder.deleteTree(root);
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove the temporary folder " + root, e);
    }
  }
}
