package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.eval.synth.SyntheticCases;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Mistakes a user can make: one sentence on stderr that names the culprit, exit status 2, nothing
 * written.
 */
class UserErrorTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;

  @BeforeAll
  static void files() throws IOException {
    TinyRun run = TinyRun.write(dir, 3, new SyntheticCases(5, 0).generate(6));
    model = run.model();
    data = run.data();
  }

  static void assertUserError(CliRun r, String... mentions) {
    assertEquals(Main.USER_ERROR, r.exitCode(), r.out() + r.err());
    String err = r.err().strip();
    assertEquals(1, err.lines().count(), "one sentence: " + err);
    for (String m : mentions) assertTrue(err.contains(m), "\"" + err + "\" should mention " + m);
  }

  @Test
  void aMissingModelFolder() {
    Path missing = dir.resolve("no-such-model");
    assertUserError(
        CliRun.of(
            "train",
            "--model",
            missing.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("x").toString(),
            "--device",
            "cpu"),
        missing.toString());
    assertUserError(
        CliRun.of("generate", "--model", missing.toString(), "--prompt", "hi", "--device", "cpu"),
        missing.toString());
  }

  @Test
  void anUnsupportedConfig() throws IOException {
    Path bad = dir.resolve("gelu-model");
    Files.createDirectories(bad);
    for (String f : new String[] {"model.safetensors", "tokenizer.json"})
      Files.copy(model.resolve(f), bad.resolve(f));
    Files.writeString(
        bad.resolve("config.json"),
        Files.readString(model.resolve("config.json")).replace("\"silu\"", "\"gelu\""));
    assertUserError(
        CliRun.of(
            "eval",
            "--model",
            bad.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("r").toString(),
            "--device",
            "cpu"),
        "gelu");
  }

  @Test
  void aBadDatasetLine() throws IOException {
    Path broken = dir.resolve("broken.jsonl");
    Files.writeString(broken, Files.readString(data) + "{\"id\": \"x\", \"diagnosis\": 3}\n");
    CliRun r =
        CliRun.of(
            "train",
            "--model",
            model.toString(),
            "--data",
            broken.toString(),
            "--out",
            dir.resolve("never").toString(),
            "--device",
            "cpu");
    assertEquals(Main.USER_ERROR, r.exitCode(), r.err());
    assertTrue(r.err().contains("broken.jsonl") && r.err().contains("7"), r.err());
    assertTrue(Files.notExists(dir.resolve("never")), "nothing written");
  }

  @Test
  void anAdapterForAnotherModel() throws IOException {
    Path other = dir.resolve("other-model");
    new TinyModel(48, 64, 1, 2).write(other, 4, SafeTensorsDtype.F32);
    Path adapter = dir.resolve("other-adapter");
    CliRun t =
        CliRun.of(
            "train",
            "--model",
            other.toString(),
            "--data",
            data.toString(),
            "--task",
            "modality",
            "--out",
            adapter.toString(),
            "--max-steps",
            "1",
            "--batch-size",
            "2",
            "--grad-accum",
            "1",
            "--device",
            "cpu");
    assertEquals(0, t.exitCode(), t.err());
    assertUserError(
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--prompt",
            "hi",
            "--device",
            "cpu"),
        "other-adapter",
        "shape");
    assertUserError(
        CliRun.of(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            dir.resolve("merged").toString()),
        "other-adapter",
        "shape");
    assertTrue(Files.notExists(dir.resolve("merged")));
  }

  @Test
  void cudaAskedForButAbsent() {
    assertUserError(
        CliRun.of("generate", "--model", model.toString(), "--prompt", "hi", "--device", "cuda"),
        "cuda");
    // bf16 runs on the CPU (bf16 weights, float32 activations); a precision no backend has is the
    // user's error.
    assertUserError(
        CliRun.of(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("y").toString(),
            "--device",
            "cpu",
            "--precision",
            "fp16"),
        "--precision");
  }

  @Test
  void badOptionValues() {
    assertUserError(
        CliRun.of(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("z").toString(),
            "--task",
            "dose",
            "--device",
            "cpu"),
        "--task");
    assertUserError(CliRun.of("demo", "--cases", "3"), "--cases");
    CliRun keepNone =
        CliRun.of(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("z").toString(),
            "--keep-checkpoints",
            "0");
    assertUserError(keepNone, "--keep-checkpoints");
    assertEquals(
        "lorakit train: --keep-checkpoints is 0, expected at least 1.", keepNone.err().strip());
  }

  /**
   * A broken internal contract is a bug, not the user's mistake: its stack trace goes to stderr,
   * exit status 1.
   */
  @Test
  void anInternalContractBreakKeepsItsStackTraceAndExitsWithStatus1() {
    for (String kind : new String[] {"argument", "state"}) {
      CommandLine cl = Main.commandLine();
      cl.addSubcommand("broken", new Broken());
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err, true));
      cl.setOut(new PrintWriter(new StringWriter(), true));
      assertEquals(Main.BUG, cl.execute("broken", kind), err.toString());
      String exception =
          kind.equals("argument")
              ? "java.lang.IllegalArgumentException"
              : "java.lang.IllegalStateException";
      assertTrue(
          err.toString().startsWith("lorakit broken: internal error (a bug in lorakit"),
          err.toString());
      assertTrue(
          err.toString().contains(exception + ": matmul: shapes do not fit"), err.toString());
      assertTrue(
          err.toString().contains("\tat " + Broken.class.getName() + ".call("),
          "the stack trace: " + err);
    }
  }

  /**
   * The same wiring gives a user's mistake one sentence and exit status 2, whatever it is wrapped
   * in.
   */
  @Test
  void aLorakitInputExceptionIsOneSentenceEvenWithACause() {
    CommandLine cl = Main.commandLine();
    cl.addSubcommand("broken", new Broken());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertEquals(Main.USER_ERROR, cl.execute("broken", "input"));
    assertEquals(
        "lorakit broken: data.jsonl line 3: field 'prompt' is empty.", err.toString().strip());
  }

  @Command(name = "broken")
  static final class Broken implements Callable<Integer> {
    @Parameters String kind;

    @Override
    public Integer call() {
      switch (kind) {
        case "argument" ->
            throw new IllegalArgumentException("matmul: shapes do not fit: a [2, 3], b [4, 5].");
        case "state" -> throw new IllegalStateException("matmul: shapes do not fit after close.");
        default ->
            throw new LorakitInputException(
                "data.jsonl line 3: field 'prompt' is empty.",
                new IllegalArgumentException("inner"));
      }
    }
  }
}
