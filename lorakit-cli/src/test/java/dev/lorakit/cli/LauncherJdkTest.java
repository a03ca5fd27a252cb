package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK search shared by {@code ./lorakit} and {@code ./build}, run through bash with a
 * controlled environment.
 */
class LauncherJdkTest {

  static final Path ROOT =
      Path.of(System.getProperty("lorakit.project.root", "..")).toAbsolutePath().normalize();
  static final Path SCRIPT = ROOT.resolve("scripts/jdk25.sh");
  static final Path THIS_JDK = Path.of(System.getProperty("java.home"));

  record Result(int status, String stdout, String stderr) {}

  static Result find(Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            "bash",
            "-c",
            "source \"$1\"; lorakit_find_jdk && echo \"$LORAKIT_JAVA_HOME\"",
            "find",
            SCRIPT.toString());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return new Result(p.waitFor(), out, err);
  }

  @Test
  void javaHomeIsTakenWhenItIs25OrNewer(@TempDir Path empty) throws Exception {
    Result r =
        find(
            Map.of(
                "PATH",
                "/usr/bin:/bin",
                "JAVA_HOME",
                THIS_JDK.toString(),
                "LORAKIT_JVM_DIR",
                empty.toString()));
    assertEquals(0, r.status(), r.stderr());
    assertEquals(THIS_JDK.toRealPath(), Path.of(r.stdout()).toRealPath());
  }

  @Test
  void javaOnPathIsTakenWhenJavaHomeIsUnset(@TempDir Path empty) throws Exception {
    Result r =
        find(
            Map.of(
                "PATH",
                THIS_JDK.resolve("bin") + ":/usr/bin:/bin",
                "LORAKIT_JVM_DIR",
                empty.toString()));
    assertEquals(0, r.status(), r.stderr());
    assertEquals(THIS_JDK.toRealPath(), Path.of(r.stdout()).toRealPath());
  }

  @Test
  void anOlderJavaHomeIsPassedOverForTheJvmFolder(@TempDir Path jvms) throws Exception {
    Path old = fakeJdk(jvms.resolve("java-17-fake"), "17");
    Path jdk25 = jvms.resolve("temurin-25-jdk");
    Files.createDirectories(jdk25.resolve("bin"));
    Files.writeString(
        jdk25.resolve("bin/java"),
        "#!/bin/sh\nexec '" + THIS_JDK.resolve("bin/java") + "' \"$@\"\n");
    jdk25.resolve("bin/java").toFile().setExecutable(true);
    Result r =
        find(
            Map.of(
                "PATH",
                "/usr/bin:/bin",
                "JAVA_HOME",
                old.toString(),
                "LORAKIT_JVM_DIR",
                jvms.toString()));
    assertEquals(0, r.status(), r.stderr());
    assertEquals(jdk25.toString(), r.stdout());
  }

  @Test
  void noSuitableJdkGivesOneSentenceSayingWhatToInstall(@TempDir Path jvms) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/bin/sed")) || Files.isExecutable(Path.of("/usr/bin/sed")),
        "sed is needed");
    Path old = fakeJdk(jvms.resolve("java-17-fake"), "17");
    Result r =
        find(
            Map.of(
                "PATH",
                old.resolve("bin") + ":/usr/bin:/bin",
                "JAVA_HOME",
                old.toString(),
                "LORAKIT_JVM_DIR",
                jvms.toString()));
    assertEquals(1, r.status());
    assertEquals("", r.stdout());
    assertTrue(r.stderr().startsWith("lorakit needs a JDK 25 or newer"), r.stderr());
    assertTrue(r.stderr().contains("install one"), r.stderr());
    assertEquals(1, r.stderr().lines().count(), r.stderr());
  }

  /**
   * A folder with a bin/java that reports the given feature version, as a real JDK's settings dump
   * does.
   */
  static Path fakeJdk(Path home, String version) throws IOException {
    Path java = home.resolve("bin/java");
    Files.createDirectories(java.getParent());
    Files.writeString(
        java, "#!/bin/sh\necho '    java.specification.version = " + version + "' >&2\n");
    java.toFile().setExecutable(true);
    return home;
  }
}
