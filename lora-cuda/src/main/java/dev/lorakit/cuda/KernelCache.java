package dev.lorakit.cuda;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiled kernels on disk, so NVRTC runs once per kernel source, GPU architecture and compiler
 * version. The key is the SHA-256 of all three plus the compile options; a file is written to a
 * temporary name in the same folder, forced to disk and renamed into place, so a reader never sees
 * half a kernel.
 */
final class KernelCache {

  private final Path dir;

  KernelCache(Path dir) {
    this.dir = dir;
  }

  /** {@code $LORAKIT_CACHE/kernels} when set, else {@code ~/.cache/lorakit/kernels}. */
  static Path defaultDir(Map<String, String> env, String userHome) {
    String root = env.get("LORAKIT_CACHE");
    if (root != null && !root.isBlank()) {
      return Path.of(root, "kernels");
    }
    return Path.of(userHome, ".cache", "lorakit", "kernels");
  }

  Path dir() {
    return dir;
  }

  /** The cache key (hex SHA-256) of one compilation. */
  static String key(String source, String arch, String compilerVersion, List<String> options) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : List.of(source, arch, compilerVersion, String.join("\u0000", options))) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") cannot collide.
        sha.update(ByteBuffer.allocate(8).putLong(bytes.length).array());
        sha.update(bytes);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JDK lacks SHA-256.", e);
    }
  }

  private Path file(String name, String key) {
    return dir.resolve(name + "-" + key + ".cubin");
  }

  /** The cached image for {@code name} under {@code key}, if present and readable. */
  Optional<byte[]> get(String name, String key) {
    Path f = file(name, key);
    try {
      return Files.isRegularFile(f) ? Optional.of(Files.readAllBytes(f)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Stores an image atomically; returns false (and leaves nothing behind) when the folder is not
   * writable.
   */
  boolean put(String name, String key, byte[] image) {
    Path target = file(name, key);
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, name + "-", ".tmp");
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(image);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Nothing more to do: the cache is an optimisation.
        }
      }
      return false;
    }
  }

  /** Removes an entry that turned out to be unloadable. */
  void evict(String name, String key) {
    try {
      Files.deleteIfExists(file(name, key));
    } catch (IOException ignored) {
      // A stale entry is recompiled and overwritten next time anyway.
    }
  }
}
