package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes a user can make: one sentence on stderr that names the culprit, exit status 2, nothing written. */
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
    assertUserError(CliRun.of("train", "--model", missing.toString(), "--data", data.toString(), "--out",
        dir.resolve("x").toString(), "--device", "cpu"), missing.toString());
    assertUserError(CliRun.of("generate", "--model", missing.toString(), "--prompt", "hi", "--device", "cpu"),
        missing.toString());
  }

  @Test
  void anUnsupportedConfig() throws IOException {
    Path bad = dir.resolve("gelu-model");
    Files.createDirectories(bad);
    for (String f : new String[] {"model.safetensors", "tokenizer.json"}) Files.copy(model.resolve(f), bad.resolve(f));
    Files.writeString(bad.resolve("config.json"),
        Files.readString(model.resolve("config.json")).replace("\"silu\"", "\"gelu\""));
    assertUserError(CliRun.of("eval", "--model", bad.toString(), "--data", data.toString(), "--out",
        dir.resolve("r").toString(), "--device", "cpu"), "gelu");
  }

  @Test
  void aBadDatasetLine() throws IOException {
    Path broken = dir.resolve("broken.jsonl");
    Files.writeString(broken, Files.readString(data) + "{\"id\": \"x\", \"diagnosis\": 3}\n");
    CliRun r = CliRun.of("train", "--model", model.toString(), "--data", broken.toString(), "--out",
        dir.resolve("never").toString(), "--device", "cpu");
    assertEquals(Main.USER_ERROR, r.exitCode(), r.err());
    assertTrue(r.err().contains("broken.jsonl") && r.err().contains("7"), r.err());
    assertTrue(Files.notExists(dir.resolve("never")), "nothing written");
  }

  @Test
  void anAdapterForAnotherModel() throws IOException {
    Path other = dir.resolve("other-model");
    new TinyModel(48, 64, 1, 2).write(other, 4, SafeTensorsDtype.F32);
    Path adapter = dir.resolve("other-adapter");
    CliRun t = CliRun.of("train", "--model", other.toString(), "--data", data.toString(), "--task", "modality",
        "--out", adapter.toString(), "--max-steps", "1", "--batch-size", "2", "--grad-accum", "1", "--device", "cpu");
    assertEquals(0, t.exitCode(), t.err());
    assertUserError(CliRun.of("generate", "--model", model.toString(), "--adapter", adapter.toString(), "--prompt",
        "hi", "--device", "cpu"), "other-adapter", "shape");
    assertUserError(CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out",
        dir.resolve("merged").toString()), "other-adapter", "shape");
    assertTrue(Files.notExists(dir.resolve("merged")));
  }

  @Test
  void cudaAskedForButAbsent() {
    assertUserError(CliRun.of("generate", "--model", model.toString(), "--prompt", "hi", "--device", "cuda"),
        "cuda");
    // bf16 runs on the CPU (bf16 weights, float32 activations); a precision no backend has is the user's error.
    assertUserError(CliRun.of("train", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("y").toString(), "--device", "cpu", "--precision", "fp16"), "--precision");
  }

  @Test
  void badOptionValues() {
    assertUserError(CliRun.of("train", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("z").toString(), "--task", "dose", "--device", "cpu"), "--task");
    assertUserError(CliRun.of("demo", "--cases", "3"), "--cases");
  }
}
