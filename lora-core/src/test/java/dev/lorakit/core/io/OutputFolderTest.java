package dev.lorakit.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output folder lorakit owns: what it refuses, what it replaces, what it leaves alone. */
class OutputFolderTest {

  @TempDir Path dir;

  @Test
  void aFolderWithFilesLorakitDidNotWriteIsRefusedAndLeftAsItWas() throws IOException {
    Path precious = dir.resolve("precious");
    Files.createDirectories(precious.resolve("sub"));
    Files.writeString(precious.resolve("thesis.tex"), "t");
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> OutputFolder.claim(precious, "--out", "eval", false));
    assertEquals(
        "--out "
            + precious
            + " already holds files that lorakit did not write; choose an empty or new "
            + "folder, or give --overwrite to write into it (only lorakit's own files are then replaced).",
        e.getMessage());
    assertEquals("t", Files.readString(precious.resolve("thesis.tex")));
    assertTrue(Files.isDirectory(precious.resolve("sub")));
    assertFalse(
        Files.exists(precious.resolve(OutputFolder.MARKER)), "not even the marker was written");
  }

  @Test
  void overwriteReplacesOnlyOwnFiles() throws IOException {
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("thesis.tex"), "t");
    Files.writeString(out.resolve("report.md"), "old");
    try (OutputFolder f = OutputFolder.claim(out, "--out", "eval", true)) {
      Path temp = f.newTemporaryFolder("report");
      Files.createDirectories(temp.resolve("charts"));
      Files.writeString(temp.resolve("report.md"), "new");
      Files.writeString(temp.resolve("charts/a.png"), "png");
      f.adopt(temp);
      assertFalse(Files.exists(temp));
    }
    assertEquals("t", Files.readString(out.resolve("thesis.tex")));
    assertEquals("new", Files.readString(out.resolve("report.md")));
    assertEquals("png", Files.readString(out.resolve("charts/a.png")));
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(4, s.count(), "thesis.tex, report.md, charts/ and the marker");
    }
  }

  @Test
  void itsOwnEarlierOutputIsClaimedAgainButAnotherCommandsIsNot() throws IOException {
    Path out = dir.resolve("run");
    try (OutputFolder f = OutputFolder.claim(out, "--out", "train", false)) {
      assertFalse(f.wasOwnOutput());
      Files.writeString(f.resolve("adapter_config.json"), "{}");
    }
    try (OutputFolder f = OutputFolder.claim(out, "--out", "train", false)) {
      assertTrue(f.wasOwnOutput());
    }
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class, () -> OutputFolder.claim(out, "--out", "merge", false));
    assertTrue(
        e.getMessage().contains("holds the output of lorakit train, not of merge"), e.getMessage());
  }

  @Test
  void aSecondWriterIsRefusedWhileTheFirstHoldsTheFolder() throws IOException {
    Path out = dir.resolve("busy");
    try (OutputFolder _ = OutputFolder.claim(out, "--out", "train", false)) {
      LorakitInputException e =
          assertThrows(
              LorakitInputException.class, () -> OutputFolder.claim(out, "--out", "train", false));
      assertEquals(
          "--out "
              + out
              + " is being written by another lorakit command (train); wait for it to end or "
              + "choose another folder.",
          e.getMessage());
    }
    OutputFolder.claim(out, "--out", "train", false).close(); // free again once the first is done
  }

  @Test
  void leftoversOfAKilledRunAreRemovedByTheNextClaim() throws IOException {
    Path out = dir.resolve("m");
    Path leftover;
    try (OutputFolder f = OutputFolder.claim(out, "--out", "merge", false)) {
      leftover = f.newTemporaryFolder("merge");
      Files.writeString(leftover.resolve("model.safetensors"), "half");
      Files.writeString(f.resolve("config.json"), "{}");
    }
    assertFalse(Files.exists(leftover), "closed: its temporary folders go");
    Path killed = out.resolve(OutputFolder.TEMP_PREFIX + "merge-0badcafe");
    Files.createDirectories(killed);
    Path halfFile = out.resolve(".config.json.lorakit-0123abcd.tmp");
    Files.writeString(halfFile, "{");
    Path legacy = dir.resolve(".m.merging-123456");
    Files.createDirectories(legacy);
    Files.writeString(dir.resolve("keep.txt"), "k");
    OutputFolder.claim(out, "--out", "merge", false).close();
    assertFalse(Files.exists(killed));
    assertFalse(Files.exists(halfFile));
    assertFalse(Files.exists(legacy));
    assertTrue(Files.exists(dir.resolve("keep.txt")));
    assertTrue(Files.exists(out.resolve("config.json")));
  }

  @Test
  void aFolderThatFailedBeforeAnyOutputIsNotLeftBehind() throws IOException {
    Path out = dir.resolve("never");
    OutputFolder.claim(out, "--out", "eval", false).close();
    assertFalse(Files.exists(out));
  }

  @Test
  void aFileWhereTheFolderShouldBeIsOneSentence() throws IOException {
    Path file = dir.resolve("existing.txt");
    Files.writeString(file, "x");
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class, () -> OutputFolder.claim(file, "--out", "train", false));
    assertEquals("--out " + file + " is a file, not a folder.", e.getMessage());
  }

  @Test
  void newFilesAndFoldersGetTheUmasksPermissionsNotOwnerOnly() throws IOException {
    // The JVM's umask is the process's; 0644/0755 under the usual 022, and never the 0600 of a
    // temporary file.
    Path out = dir.resolve("perm");
    try (OutputFolder f = OutputFolder.claim(out, "--out", "train", false)) {
      Path temp = f.newTemporaryFolder("x");
      Files.createDirectories(temp.resolve("sub"));
      f.adopt(temp);
      try (AtomicFile a = AtomicFile.create(f.resolve("a.json"))) {
        a.write(ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)));
        a.commit();
      }
    }
    Path reference = Files.createFile(dir.resolve("reference"));
    Path referenceDir = Files.createDirectory(dir.resolve("referenceDir"));
    assertEquals(
        Files.getPosixFilePermissions(reference),
        Files.getPosixFilePermissions(out.resolve("a.json")));
    assertEquals(Files.getPosixFilePermissions(referenceDir), Files.getPosixFilePermissions(out));
    assertEquals(
        Files.getPosixFilePermissions(referenceDir),
        Files.getPosixFilePermissions(out.resolve("sub")));
    assertTrue(
        Files.getPosixFilePermissions(out.resolve("a.json"))
            .containsAll(PosixFilePermissions.fromString("rw-------")));
  }
}
