package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The ways a new user lost work, waited on a hang, got a stack trace or was told a lie, replayed:
 * each now ends in one sentence and exit status 2, and changes no file that is not lorakit's own
 * output.
 */
class WhyCasesTest {

  @TempDir static Path dir;
  static TinyRun run;
  static Path model;
  static Path data;
  static Path adapter;
  static Path cleanData;

  @BeforeAll
  static void files() throws IOException {
    run = TinyRun.write(dir, 3, new SyntheticCases(5, 0).generate(8));
    model = run.model();
    data = run.data();
    adapter = dir.resolve("adapter");
    assertEquals(0, CliRun.of(train(adapter, "--max-steps", "1")).exitCode());
    cleanData = dir.resolve("cases.clean");
    Files.copy(data, cleanData);
  }

  @BeforeEach
  void sameData() throws IOException {
    Files.copy(cleanData, data, StandardCopyOption.REPLACE_EXISTING); // one test changes it
  }

  static String[] train(Path out, String... more) {
    return run.train(out, List.of("--grad-accum", "1"), more);
  }

  String[] eval(Path out, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "eval",
                "--model",
                model.toString(),
                "--adapter",
                adapter.toString(),
                "--data",
                data.toString(),
                "--task",
                "modality",
                "--out",
                out.toString(),
                "--device",
                "cpu"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  /** Every file under the test folder with a digest of its bytes. */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir" : digest(p));
      }
    }
    return m;
  }

  private static String digest(Path p) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs {@code args} and checks: exit 2, one sentence containing {@code mentions}, and not one
   * file changed.
   */
  String refused(String[] args, String... mentions) throws IOException {
    Map<String, String> before = snapshot();
    CliRun r = CliRun.of(args);
    assertOneSentence(r.exitCode(), r.err(), mentions);
    assertEquals(before, snapshot(), "nothing changed");
    return r.err();
  }

  static void assertOneSentence(int status, String err, String... mentions) {
    assertEquals(Main.USER_ERROR, status, err);
    // Progress lines of the work done before the failure are not part of the message.
    String e =
        err.lines()
            .filter(l -> !l.matches("(train|eval ) \\[.*"))
            .reduce("", (a, b) -> a + b + "\n")
            .strip();
    assertEquals(1, e.lines().count(), "one sentence: " + err);
    assertTrue(e.startsWith("lorakit"), e);
    assertFalse(e.contains("Exception") || e.contains("\tat "), e);
    for (String m : mentions) assertTrue(e.contains(m), "\"" + e + "\" should mention " + m);
  }

  // ---- data loss
  // ------------------------------------------------------------------------------------------------

  @Test
  void evalIntoAFolderOfSomeoneElsesFilesDeletesNothing() throws IOException {
    Path precious = dir.resolve("precious");
    Files.createDirectories(precious.resolve("sub"));
    Files.writeString(precious.resolve("thesis.tex"), "t");
    Files.writeString(precious.resolve("sub/notes.txt"), "n");
    refused(
        eval(precious, "--compare-base"),
        "--out " + precious,
        "lorakit did not write",
        "--overwrite");
    Map<String, String> before = snapshot();
    CliRun r = CliRun.of(eval(precious, "--compare-base", "--overwrite"));
    assertEquals(0, r.exitCode(), r.err());
    Map<String, String> after = snapshot();
    before.forEach((k, v) -> assertEquals(v, after.get(k), k + " is kept as it was"));
    assertTrue(Files.exists(precious.resolve("report.md")));
  }

  @Test
  void outDotIsTheWorkingFolderWithTheInputsInItAndIsLeftAlone() throws Exception {
    Path work = dir.resolve("work");
    Files.createDirectories(work);
    Files.copy(data, work.resolve("cases.jsonl"));
    Map<String, String> before = snapshot();
    Launcher.Result r =
        Launcher.startIn(
                work,
                "eval",
                "--model",
                model.toString(),
                "--data",
                "cases.jsonl",
                "--task",
                "modality",
                "--out",
                ".",
                "--device",
                "cpu")
            .await(120);
    assertOneSentence(r.status(), r.err(), "--out .", "lorakit did not write");
    assertEquals(before, snapshot());
  }

  @Test
  void trainDoesNotOverwriteAFinishedAdapterOrRestartAStoppedRun() throws IOException {
    refused(
        train(adapter, "--max-steps", "1"),
        "--out " + adapter,
        "already holds a training run",
        "--resume",
        "--overwrite");
    Path stopped = dir.resolve("stopped-run");
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    TrainCommand cmd = cl.getSubcommands().get("train").getCommand();
    cmd.stop = StopSignal.manual();
    cmd.stop.request();
    assertEquals(130, cl.execute(train(stopped, "--max-steps", "3")));
    assertTrue(Files.exists(stopped.resolve("checkpoints/checkpoint-1.safetensors")));
    refused(train(stopped, "--max-steps", "3"), "already holds a training run");
  }

  @Test
  void aSecondWriterOfTheSameFolderIsRefused() throws IOException {
    Path busy = dir.resolve("busy");
    try (OutputFolder first = OutputFolder.claim(busy, "--out", "train", false)) {
      Files.writeString(first.resolve("training_log.jsonl"), "");
      refused(
          train(busy, "--max-steps", "1", "--overwrite"),
          "--out " + busy,
          "being written by another lorakit");
    }
  }

  @Test
  void leftoversOfAnInterruptedMergeOrEvalAreRemovedByTheNextRun() throws IOException {
    Path merged = dir.resolve("merged");
    assertEquals(
        0,
        CliRun.of(
                "merge",
                "--model",
                model.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                merged.toString())
            .exitCode());
    Path killed = merged.resolve(OutputFolder.TEMP_PREFIX + "merge-12345678");
    Files.createDirectories(killed);
    Files.write(killed.resolve("model.safetensors"), new byte[1000]);
    Path legacy = dir.resolve(".merged.merging-4242");
    Files.createDirectories(legacy);
    CliRun again =
        CliRun.of(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            merged.toString());
    assertEquals(0, again.exitCode(), again.err());
    assertFalse(Files.exists(killed));
    assertFalse(Files.exists(legacy));
    Path report = dir.resolve("report");
    assertEquals(0, CliRun.of(eval(report)).exitCode());
    Path evalLeft = report.resolve(OutputFolder.TEMP_PREFIX + "report-0000abcd");
    Files.createDirectories(evalLeft);
    assertEquals(0, CliRun.of(eval(report)).exitCode());
    assertFalse(Files.exists(evalLeft));
  }

  // ---- the hang
  // -------------------------------------------------------------------------------------------------

  @Test
  void aBadPrecisionEndsAtOnce() throws Exception {
    Map<String, String> before = snapshot();
    Launcher.Result r = Launcher.run(60, Map.of(), train(dir.resolve("p"), "--precision", "fp16"));
    assertOneSentence(r.status(), r.err(), "--precision", "fp16");
    assertEquals(before, snapshot());
  }

  // ---- work thrown away
  // -----------------------------------------------------------------------------------------

  @Test
  void evalChecksItsOutputFolderBeforeAnyAnswer() throws IOException {
    Path file = dir.resolve("existing.txt");
    Files.writeString(file, "x");
    refused(eval(file), "--out " + file + " is a file, not a folder.");
    refused(train(file), "--out " + file + " is a file, not a folder.");
  }

  @Test
  void aReadOnlyOutputFolderIsRefusedBeforeAnyAnswer() throws IOException {
    assumeFalse(
        "root".equals(System.getProperty("user.name")),
        "running as root, for whom no folder is read-only: this case cannot be made here");
    Path ro = dir.resolve("ro");
    Files.createDirectories(ro);
    ro.toFile().setWritable(false);
    try {
      refused(eval(ro.resolve("out")), "ro");
    } finally {
      ro.toFile().setWritable(true);
    }
  }

  @Test
  void caseIdsThatDoNotFitTheContextAreNamedBeforeAnyAnswer() throws IOException {
    Path longCases = dir.resolve("long.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(data));
    lines.add(
        "{\"id\": \"too-long-1\", \"diagnosis\": \""
            + "carcinoma ".repeat(700)
            + "\", \"regimen\": \"r\", \"modality\": \"photon\", \"icd10\": \"C61\"}");
    Files.write(longCases, lines);
    Path out = dir.resolve("long-out");
    refused(
        new String[] {
          "eval",
          "--model",
          model.toString(),
          "--data",
          longCases.toString(),
          "--task",
          "modality",
          "--out",
          out.toString(),
          "--device",
          "cpu"
        },
        "too-long-1",
        "context",
        "--skip-too-long");
    CliRun skipped =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--data",
            longCases.toString(),
            "--task",
            "modality",
            "--out",
            out.toString(),
            "--device",
            "cpu",
            "--skip-too-long");
    assertEquals(0, skipped.exitCode(), skipped.err());
    assertTrue(
        skipped.err().contains("Left out 1 case(s)") && skipped.err().contains("too-long-1"),
        skipped.err());
  }

  // ---- resume that lies
  // -----------------------------------------------------------------------------------------

  @Test
  void resumeRefusesOtherSettingsOrDataNamingTheFirstDifference() throws IOException {
    Path run = dir.resolve("run-stopped");
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    TrainCommand cmd = cl.getSubcommands().get("train").getCommand();
    cmd.stop = StopSignal.manual();
    cmd.stop.request();
    assertEquals(130, cl.execute(train(run, "--max-steps", "4")));
    refused(
        train(run, "--max-steps", "4", "--resume", "--lr", "1e-3"),
        "--lr (2.0E-4 then, 0.001 now)");
    refused(
        train(run, "--max-steps", "4", "--resume", "--warmup", "5"), "--warmup (10 then, 5 now)");
    refused(
        train(run, "--max-steps", "4", "--resume", "--lora-alpha", "8"),
        "--lora-alpha (32.0 then, 8.0 now)");
    refused(
        train(run, "--max-steps", "4", "--resume", "--schedule", "linear"),
        "--schedule (cosine then, linear now)");
    refused(train(run, "--max-steps", "4", "--resume", "--lora-dropout", "0.1"), "--lora-dropout");
    Path other = dir.resolve("other.jsonl");
    CaseFile.write(other, new SyntheticCases(6, 0).generate(8));
    String[] otherData = train(run, "--max-steps", "4", "--resume");
    otherData[4] = other.toString();
    refused(otherData, "--data");
    Files.copy(other, data, StandardCopyOption.REPLACE_EXISTING); // same path, other content
    refused(train(run, "--max-steps", "4", "--resume"), "the contents of --data");
  }

  @Test
  void maxStepsBelowTheCheckpointIsASentenceAndAFinishedRunResumedIsANoOp() throws IOException {
    Path run = dir.resolve("run-finished");
    assertEquals(
        0, CliRun.of(train(run, "--max-steps", "3", "--checkpoint-every", "2")).exitCode());
    refused(
        train(run, "--max-steps", "1", "--resume"),
        "step 1",
        "already reached step 3",
        "--max-steps 3");
    Map<String, String> before = snapshot();
    CliRun again = CliRun.of(train(run, "--max-steps", "3", "--checkpoint-every", "2", "--resume"));
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(
        "The run in " + run + " is already finished (3 steps); nothing to do.",
        again.out().strip());
    assertEquals(before, snapshot());
  }

  // ---- bad numbers saved
  // ----------------------------------------------------------------------------------------

  @Test
  void aDivergingRunSavesNothingNonFiniteAndNamesTheStep() throws IOException {
    // A learning rate beyond float's range turns the first update into infinities.
    Path skipping = dir.resolve("skipping");
    CliRun r =
        CliRun.of(
            train(
                skipping, "--max-steps", "3", "--lr", "1e39", "--warmup", "0", "--skip-nonfinite"));
    assertOneSentence(r.exitCode(), r.err(), "Training diverged at step", "not finite", "--lr");
    assertFalse(
        Files.exists(skipping.resolve("adapter_model.safetensors")), "no adapter with infinities");
    Path nan = dir.resolve("nan");
    CliRun s = CliRun.of(train(nan, "--max-steps", "3", "--lr", "1e39", "--warmup", "0"));
    assertOneSentence(
        s.exitCode(), s.err(), "Training diverged at step 2", "NaN", "no checkpoint was written");
    assertFalse(Files.exists(nan.resolve("adapter_model.safetensors")));
    // Warmup makes the first steps finite, so there are checkpoints to go back to.
    Path later = dir.resolve("later");
    CliRun t =
        CliRun.of(
            train(
                later,
                "--max-steps",
                "8",
                "--lr",
                "1e39",
                "--warmup",
                "8",
                "--checkpoint-every",
                "1"));
    assertOneSentence(
        t.exitCode(),
        t.err(),
        "Training diverged at step",
        "the last finite checkpoint is " + later.resolve("checkpoints"),
        "--overwrite");
    Matcher m =
        Pattern.compile("checkpoint-(\\d+)\\.safetensors \\(step (\\d+)\\)").matcher(t.err());
    assertTrue(m.find(), t.err());
    assertEquals(m.group(1), m.group(2));
    try (var f =
        dev.lorakit.core.io.SafeTensorsFile.open(
            later.resolve("checkpoints/checkpoint-" + m.group(1) + ".safetensors"))) {
      for (String name : f.names()) {
        for (float v : f.floats(name)) assertTrue(Float.isFinite(v), name);
      }
    }
    assertFalse(Files.exists(later.resolve("adapter_model.safetensors")));
  }

  @Test
  void anAdapterWithANaNWeightIsNotLoaded() throws IOException {
    Path bad = dir.resolve("nan-adapter");
    Files.createDirectories(bad);
    for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
      Files.copy(adapter.resolve(f), bad.resolve(f));
    }
    try (FileChannel ch =
        FileChannel.open(bad.resolve("adapter_model.safetensors"), StandardOpenOption.WRITE)) {
      ByteBuffer nan =
          ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).flip();
      ch.write(nan, ch.size() - 4); // the last value of the last tensor
    }
    refused(
        new String[] {
          "generate",
          "--model",
          model.toString(),
          "--adapter",
          bad.toString(),
          "--prompt",
          "hi",
          "--device",
          "cpu"
        },
        "nan-adapter",
        "non-finite");
  }

  // ---- other users locked out
  // -----------------------------------------------------------------------------------

  @Test
  void outputFilesAreNotOwnerOnly() throws IOException {
    Path reference = Files.createFile(dir.resolve("reference"));
    var perms = Files.getPosixFilePermissions(reference);
    try (Stream<Path> s = Files.walk(adapter)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        assertEquals(perms, Files.getPosixFilePermissions(p), p + " has the umask's permissions");
      }
    }
  }

  // ---- stack traces and leaked internals
  // ------------------------------------------------------------------------

  @Test
  void anExhaustedHeapIsASentence() throws Exception {
    Map<String, String> before = snapshot();
    Launcher.Result r =
        Launcher.run(
            120,
            Map.of("LORAKIT_JAVA_OPTS", "-Xmx48m"),
            train(dir.resolve("oom"), "--lora-r", "4000", "--max-steps", "1"));
    assertOneSentence(
        r.status(), r.err(), "out of memory", "--lora-r 4000", "-Xmx", "LORAKIT_JAVA_OPTS");
    assertEquals(before, snapshot());
  }

  @Test
  void brokenInputFilesAreSentencesInTheUsersWords() throws IOException {
    Path garbage = dir.resolve("garbage-model");
    Files.createDirectories(garbage);
    for (String f : new String[] {"config.json", "model.safetensors"})
      Files.copy(model.resolve(f), garbage.resolve(f));
    Files.write(garbage.resolve("tokenizer.json"), new byte[] {(byte) 0xff, (byte) 0xfe, 0x7b});
    refused(
        new String[] {
          "generate", "--model", garbage.toString(), "--prompt", "hi", "--device", "cpu"
        },
        "tokenizer.json is not UTF-8 text");

    Path huge = dir.resolve("huge-model");
    Files.createDirectories(huge);
    for (String f : new String[] {"tokenizer.json", "model.safetensors"})
      Files.copy(model.resolve(f), huge.resolve(f));
    String config = Files.readString(model.resolve("config.json"));
    assertTrue(config.contains("\"hidden_size\": 32"), config);
    Files.writeString(
        huge.resolve("config.json"),
        config.replace("\"hidden_size\": 32", "\"hidden_size\": " + "3".repeat(1200)));
    String err =
        refused(
            new String[] {
              "generate", "--model", huge.toString(), "--prompt", "hi", "--device", "cpu"
            },
            "config.json is not valid JSON",
            "a number of 1200 digits");
    assertFalse(err.contains("StreamReadConstraints") || err.contains("`"), err);

    for (String[] edit :
        new String[][] {
          {"\"r\": 16", "\"r\": NaN", "NaN is not a JSON number"},
          {"\"r\": 16", "\"r\": null", "r is null"}
        }) {
      Path cfg = dir.resolve("cfg-" + edit[2].length());
      Files.createDirectories(cfg);
      Files.copy(
          adapter.resolve("adapter_model.safetensors"), cfg.resolve("adapter_model.safetensors"));
      String text = Files.readString(adapter.resolve("adapter_config.json"));
      assertTrue(text.contains(edit[0]), text);
      Files.writeString(cfg.resolve("adapter_config.json"), text.replace(edit[0], edit[1]));
      refused(
          new String[] {
            "generate",
            "--model",
            model.toString(),
            "--adapter",
            cfg.toString(),
            "--prompt",
            "hi",
            "--device",
            "cpu"
          },
          "adapter_config.json",
          edit[2]);
    }
  }

  @Test
  void aMistypedCommandIsNamedWithTheClosestOne() throws IOException {
    Map<String, String> before = snapshot();
    CliRun r = CliRun.of("trian", "--model", model.toString());
    assertOneSentence(
        r.exitCode(), r.err(), "lorakit: 'trian' is not a lorakit command; did you mean train?");
    assertFalse(r.err().contains("lorakit lorakit") || r.err().contains("Unmatched"), r.err());
    assertEquals(before, snapshot());
  }
}
