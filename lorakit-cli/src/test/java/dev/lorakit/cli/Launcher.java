package dev.lorakit.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the real {@code ./lorakit} launcher script as a separate process (its JVM flags, heap
 * sizing, stderr filter, signals), on the classes under test: {@code LORAKIT_CLASSPATH} makes it
 * skip its own build.
 */
final class Launcher {

  static final Path ROOT =
      Path.of(System.getProperty("lorakit.project.root", "..")).toAbsolutePath().normalize();

  record Result(int status, String out, String err) {}

  private final List<String> command = new ArrayList<>();
  private final Process process;
  private final Path out;
  private final Path err;

  private Launcher(Map<String, String> env, String umask, Path cwd, String... args)
      throws IOException {
    this(env, umask, cwd, null, args);
  }

  private Launcher(Map<String, String> env, String umask, Path cwd, Path input, String... args)
      throws IOException {
    command.add("bash");
    command.add("-c");
    command.add((umask == null ? "" : "umask " + umask + "; ") + "exec \"$0\" \"$@\"");
    command.add(ROOT.resolve("lorakit").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("LORAKIT_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("LORAKIT_JAVA_OPTS");
    pb.environment().putAll(env);
    if (cwd != null) pb.directory(cwd.toFile());
    // Files rather than pipes: what the process writes just before it exits is never lost.
    out = Files.createTempFile("lorakit-out", ".txt");
    err = Files.createTempFile("lorakit-err", ".txt");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    pb.redirectInput(
        ProcessBuilder.Redirect.from(input == null ? new File("/dev/null") : input.toFile()));
    process = pb.start();
  }

  /** Starts {@code ./lorakit ARGS} with these extra environment variables. */
  static Launcher start(Map<String, String> env, String... args) throws IOException {
    return new Launcher(env, null, null, args);
  }

  /** Starts it with {@code input} as its standard input. */
  static Launcher startWithInput(Path input, String... args) throws IOException {
    return new Launcher(Map.of(), null, null, input, args);
  }

  /** Starts it in the folder {@code cwd}. */
  static Launcher startIn(Path cwd, String... args) throws IOException {
    return new Launcher(Map.of(), null, cwd, args);
  }

  /** Starts it under {@code umask}. */
  static Launcher startWithUmask(String umask, String... args) throws IOException {
    return new Launcher(Map.of(), umask, null, args);
  }

  /** Runs it to the end (at most {@code seconds}). */
  static Result run(int seconds, Map<String, String> env, String... args) throws Exception {
    return start(env, args).await(seconds);
  }

  /**
   * Waits until stderr so far satisfies {@code ready}, at most {@code seconds}; false if the
   * process ended first.
   */
  boolean waitForErr(Predicate<String> ready, int seconds) throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      if (ready.test(err())) return true;
      if (!process.isAlive()) return ready.test(err());
      Thread.sleep(50);
    }
    return false;
  }

  /** SIGTERM, which lorakit treats as Ctrl-C (SIGINT may be ignored in a test's process group). */
  void terminate() {
    process.destroy();
  }

  Result await(int seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "./lorakit "
              + command.subList(4, command.size())
              + " still ran after "
              + seconds
              + " s; stderr so far:\n"
              + err());
    }
    Result r = new Result(process.exitValue(), Files.readString(out), err());
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return r;
  }

  private String err() {
    try {
      return new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
