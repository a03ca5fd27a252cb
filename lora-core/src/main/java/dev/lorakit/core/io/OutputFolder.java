package dev.lorakit.core.io;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder that a lorakit command writes and owns, so that nothing else in it is ever destroyed:
 *
 * <ul>
 *   <li>a marker file {@value #MARKER} names the command whose output the folder is; a non-empty
 *       folder without it, or with another command's, is refused unless {@code overwrite} is given,
 *       and even then only the files the command writes are replaced;
 *   <li>the marker is also a lock, held until {@link #close}: a second writer is refused in one
 *       sentence (the lock is the operating system's, so a killed process leaves none behind);
 *   <li>work in progress goes to temporary folders inside, named {@value #TEMP_PREFIX}..., that a
 *       later claim removes if a killed run left them; {@link #adopt} moves a finished one's
 *       entries into place, each by an atomic rename.
 * </ul>
 *
 * <p>New files and folders get the permissions the process's umask gives (0644 and 0755 under the
 * usual one).
 */
public final class OutputFolder implements AutoCloseable {

  /** The marker and lock file in every folder lorakit writes. */
  public static final String MARKER = ".lorakit-output";

  /** The start of the names of temporary folders and files inside an output folder. */
  public static final String TEMP_PREFIX = ".lorakit-tmp-";

  private static final Pattern COMMAND = Pattern.compile("\"command\"\\s*:\\s*\"([^\"]*)\"");
  private static final Set<Path> LIVE_TEMPS = ConcurrentHashMap.newKeySet();

  static {
    // Ctrl-C or SIGTERM: the temporary folders of unfinished work go with the process.
    Thread cleanup =
        new Thread(
            () -> {
              for (Path p : List.copyOf(LIVE_TEMPS)) {
                try {
                  deleteTree(p);
                } catch (IOException | UncheckedIOException e) {
                  // the next claim of the folder removes it
                }
              }
            },
            "lorakit-temp-cleanup");
    try {
      Runtime.getRuntime().addShutdownHook(cleanup);
    } catch (IllegalStateException exiting) {
      // Loaded while the JVM exits: the next claim of the folder removes what is left.
    }
  }

  private final Path dir;
  private final String option;
  private final String command;
  private final String previousCommand;
  private final boolean hadContent;
  private final FileChannel markerChannel;
  private final FileLock lock;
  private final List<Path> temps = new ArrayList<>();
  private final boolean created;

  private OutputFolder(
      Path dir,
      String option,
      String command,
      String previousCommand,
      boolean hadContent,
      FileChannel markerChannel,
      FileLock lock,
      boolean created) {
    this.created = created;
    this.dir = dir;
    this.option = option;
    this.command = command;
    this.previousCommand = previousCommand;
    this.hadContent = hadContent;
    this.markerChannel = markerChannel;
    this.lock = lock;
  }

  /**
   * Claims {@code dir} (created if absent) for {@code command}.
   *
   * @param option the option that named the folder, for messages ({@code --out})
   * @param command the command writing it ({@code train}, {@code eval}...)
   * @param overwrite write into a non-empty folder that is not this command's output (only its
   *     files are replaced)
   * @throws LorakitInputException in one sentence when the folder is a file, holds what lorakit did
   *     not write (without {@code overwrite}), or is being written by another process
   * @throws IOException in one sentence when the folder cannot be created or written
   */
  public static OutputFolder claim(Path dir, String option, String command, boolean overwrite)
      throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    String named = option + " " + dir;
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new LorakitInputException(named + " is a file, not a folder.");
    }
    boolean hasMarker = Files.isRegularFile(abs.resolve(MARKER), LinkOption.NOFOLLOW_LINKS);
    boolean content = Files.isDirectory(abs) && hasEntriesBesides(abs, MARKER);
    if (content && !hasMarker && !overwrite) {
      throw new LorakitInputException(
          named
              + " already holds files that lorakit did not write; choose an empty or"
              + " new folder, or give --overwrite to write into it (only lorakit's own files are then replaced).");
    }
    boolean created = !Files.exists(abs);
    createFolder(abs, named);
    if (!Files.isWritable(abs)) {
      throw new IOException(named + " is not writable (permission denied).");
    }
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              abs.resolve(MARKER),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (AccessDeniedException e) {
      throw new IOException(named + " is not writable (permission denied).");
    }
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    String previous;
    try {
      previous = readCommand(ch);
      if (lock == null) {
        throw new LorakitInputException(
            named
                + " is being written by another lorakit command"
                + (previous == null ? "" : " (" + previous + ")")
                + "; wait for it to end or choose another folder.");
      }
      if (content && previous != null && !previous.equals(command) && !overwrite) {
        throw new LorakitInputException(
            named
                + " holds the output of lorakit "
                + previous
                + ", not of "
                + command
                + "; choose another folder, or give --overwrite to write into it.");
      }
      byte[] text = ("{\"command\": \"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(text), 0);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    OutputFolder folder =
        new OutputFolder(abs, option, command, previous, content, ch, lock, created);
    folder.removeLeftovers();
    return folder;
  }

  /** The folder. */
  public Path path() {
    return dir;
  }

  /** {@code path().resolve(name)}. */
  public Path resolve(String name) {
    return dir.resolve(name);
  }

  /**
   * Refuses to start work that will write about {@code bytes} when the folder's file system has
   * less free.
   *
   * @param what what will be written, for the message ({@code "the merged weights"})
   * @throws IOException in one sentence naming the folder, the need and what is free
   */
  public void requireFreeSpace(long bytes, String what) throws IOException {
    long free = Files.getFileStore(dir).getUsableSpace();
    if (free < bytes) {
      throw new IOException(
          option
              + " "
              + dir
              + ": "
              + what
              + " need about "
              + size(bytes)
              + ", but only "
              + size(free)
              + " are free there.");
    }
  }

  private static String size(long bytes) {
    return bytes >= 1L << 30
        ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
        : String.format(Locale.ROOT, "%.0f MB", Math.ceil(bytes / 1e6));
  }

  /** Whether the folder held anything besides the marker when it was claimed. */
  public boolean hadContent() {
    return hadContent;
  }

  /** Whether the folder was already this command's output when it was claimed. */
  public boolean wasOwnOutput() {
    return hadContent && command.equals(previousCommand);
  }

  /**
   * A new empty temporary folder inside, removed by {@link #close} unless {@link #adopt adopted}
   * (and by the next claim if the process is killed first).
   */
  public Path newTemporaryFolder(String purpose) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path p =
          dir.resolve(
              TEMP_PREFIX
                  + purpose
                  + "-"
                  + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
      try {
        Files.createDirectory(p);
        temps.add(p);
        LIVE_TEMPS.add(p);
        return p;
      } catch (FileAlreadyExistsException e) {
        if (attempt > 100) throw e;
      }
    }
  }

  /**
   * Moves every entry of {@code temp} (made by {@link #newTemporaryFolder}) into this folder, each
   * by an atomic rename over the entry of the same name (a folder of the same name is first renamed
   * aside, then deleted); nothing else in the folder is touched. {@code temp} is gone afterwards.
   */
  public void adopt(Path temp) throws IOException {
    try (Stream<Path> s = Files.list(temp)) {
      for (Path p : s.toList()) {
        Path target = dir.resolve(p.getFileName().toString());
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          Path aside = temp.resolveSibling(temp.getFileName() + "-old-" + p.getFileName());
          move(target, aside);
          LIVE_TEMPS.add(aside);
          move(p, target);
          deleteTree(aside);
          LIVE_TEMPS.remove(aside);
        } else {
          move(p, target);
        }
      }
    }
    Files.delete(temp);
    temps.remove(temp);
    LIVE_TEMPS.remove(temp);
    AtomicFile.syncFolder(dir);
  }

  /**
   * Deletes these entries of the folder (files or folders) where they exist: the command's own
   * earlier output.
   */
  public void deleteOwn(String... names) throws IOException {
    for (String name : names) {
      Path p = dir.resolve(name);
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        deleteTree(p);
      } else {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Removes the temporary folders not adopted and releases the lock; the marker stays, unless the
   * folder was created by {@link #claim} and nothing else was written into it, in which case it is
   * removed.
   */
  @Override
  public void close() throws IOException {
    try {
      for (Path t : List.copyOf(temps)) {
        deleteTree(t);
        LIVE_TEMPS.remove(t);
      }
      temps.clear();
      if (created && !hasEntriesBesides(dir, MARKER)) {
        // The command failed before writing anything: leave no trace (still under the lock).
        Files.deleteIfExists(dir.resolve(MARKER));
        Files.deleteIfExists(dir);
      }
    } finally {
      markerChannel.close(); // releases the lock
    }
  }

  @Override
  public String toString() {
    return option + " " + dir;
  }

  // ---- internals
  // -----------------------------------------------------------------------------------------

  /**
   * Temporary folders and files of runs that were killed: ours, since only the lock holder writes
   * here.
   */
  private void removeLeftovers() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith(TEMP_PREFIX) || AtomicFile.isTemporaryName(name)) deleteTree(p);
      }
    }
    // Earlier lorakit versions put temporary folders beside the output folder.
    Path parent = dir.getParent();
    if (parent == null) return;
    Pattern legacy =
        Pattern.compile(
            "\\."
                + Pattern.quote(dir.getFileName().toString())
                + "\\.(merging|writing|tmp|old)-\\d+");
    try (Stream<Path> s = Files.list(parent)) {
      for (Path p : s.toList()) {
        if (legacy.matcher(p.getFileName().toString()).matches()
            && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          deleteTree(p);
        }
      }
    } catch (AccessDeniedException e) {
      // a parent we may not list holds none of ours
    }
  }

  private static boolean hasEntriesBesides(Path dir, String name) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> !p.getFileName().toString().equals(name));
    }
  }

  private static String readCommand(FileChannel ch) throws IOException {
    if (ch.size() > 4096) return "(unknown)";
    ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
    while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
      // read it all
    }
    if (buf.position() == 0) return null;
    Matcher m = COMMAND.matcher(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
    return m.find() ? m.group(1) : "(unknown)";
  }

  private static void createFolder(Path abs, String named) throws IOException {
    if (Files.isDirectory(abs)) return;
    try {
      Files.createDirectories(abs);
    } catch (FileSystemException e) {
      Path existing = abs;
      while (existing != null && !Files.exists(existing)) existing = existing.getParent();
      String why =
          existing != null && !Files.isDirectory(existing)
              ? ", because " + existing + " is a file"
              : e instanceof AccessDeniedException
                  ? " (permission denied)"
                  : " ("
                      + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason())
                      + ")";
      throw new IOException(named + ": cannot create the folder" + why + ".");
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Deletes a file or a folder with everything in it, not following links. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
            if (exc != null) throw exc;
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
