package dev.lorakit.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A file written under a temporary name in its target's folder and renamed into place only when
 * complete, so that a reader never sees half of it and a failure leaves nothing behind.
 *
 * <pre>{@code
 * try (AtomicFile out = AtomicFile.create(target)) {
 *     out.channel().write(...);
 *     out.commit();        // fsync, then rename over the target
 * }                        // not committed: the temporary file is deleted
 * }</pre>
 *
 * Writing several files that belong together (a PEFT adapter folder): {@link #finish()} each, then
 * {@link #publish()} each, so that every byte is on disk before the first rename.
 */
public final class AtomicFile implements AutoCloseable {
  private final Path target;
  private final Path temporary;
  private final FileChannel channel;
  private boolean finished;
  private boolean published;

  private AtomicFile(Path target, Path temporary, FileChannel channel) {
    this.target = target;
    this.temporary = temporary;
    this.channel = channel;
  }

  /** Starts writing {@code target}: creates an empty temporary file beside it. */
  public static AtomicFile create(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path folder = absolute.getParent();
    if (Files.isDirectory(absolute)) {
      throw new IOException("Cannot write " + target + ": a folder of that name exists.");
    }
    // Not Files.createTempFile: it makes the file 0600 whatever the umask, and the rename would
    // keep that.
    for (int attempt = 0; ; attempt++) {
      Path temporary =
          folder.resolve(
              "."
                  + absolute.getFileName()
                  + TEMP_INFIX
                  + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
                  + ".tmp");
      FileChannel channel;
      try {
        channel =
            FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        if (attempt > 100) {
          throw e;
        }
        continue;
      }
      return new AtomicFile(absolute, temporary, channel);
    }
  }

  private static final String TEMP_INFIX = ".lorakit-";
  private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.lorakit-[0-9a-f]{8}\\.tmp");

  /**
   * Whether {@code fileName} is the name of a temporary file of this class (left behind by a killed
   * process).
   */
  public static boolean isTemporaryName(String fileName) {
    return TEMP_NAME.matcher(fileName).matches();
  }

  /** Where the bytes go until the file is published. */
  public FileChannel channel() {
    return channel;
  }

  /** The path the file will have. */
  public Path target() {
    return target;
  }

  /** Writes all of {@code buffer} to the channel. */
  public void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Forces the bytes to disk and closes the temporary file; the target is untouched yet. */
  public void finish() throws IOException {
    if (!finished) {
      channel.force(true);
      channel.close();
      finished = true;
    }
  }

  /**
   * Renames the finished temporary file over the target, atomically, and syncs the folder entry.
   */
  public void publish() throws IOException {
    if (!finished) {
      throw new IllegalStateException("finish() the file before publishing it");
    }
    try {
      Files.move(
          temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
    }
    published = true;
    syncFolder(target.getParent());
  }

  /** {@link #finish()} then {@link #publish()}. */
  public void commit() throws IOException {
    finish();
    publish();
  }

  /** Deletes the temporary file unless it was published. */
  @Override
  public void close() throws IOException {
    if (!published) {
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(temporary);
      }
    }
  }

  // A rename is durable only once the folder's entry is on disk. Some platforms cannot open a
  // folder for
  // syncing; there the rename is as durable as the platform makes it.
  static void syncFolder(Path folder) {
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort, see above
    }
  }
}
