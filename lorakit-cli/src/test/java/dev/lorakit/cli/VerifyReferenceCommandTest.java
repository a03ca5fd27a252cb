package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code lorakit verify-reference} on the Hugging Face reference folders that lora-models keeps as
 * test resources (found through the {@code lorakit.project.root} system property), on copies with a
 * value corrupted or a quantity left out, and on bad input.
 */
class VerifyReferenceCommandTest {

  @TempDir Path tmp;

  static Path fixture(String name) {
    return Fixtures.hf(name);
  }

  /** The rows of the printed table whose quantity is {@code name}. */
  private static List<String> rows(MainTest.Run r, String name) {
    return r.out().lines().filter(l -> l.startsWith(name + " ")).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void everyQuantityOfTheFixturesPasses(String name) throws IOException {
    Path dir = fixture(name);
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertEquals("", r.err());
    Set<String> names;
    try (SafeTensorsFile ref = SafeTensorsFile.open(dir.resolve("reference.safetensors"))) {
      names = ref.names();
    }
    // One row per reference tensor but the inputs (input_ids, labels).
    int expected = names.size() - 2;
    assertTrue(
        r.out().contains("PASS: all " + expected + " quantities within tolerance."), r.out());
    for (String quantity : names) {
      if (!quantity.equals("input_ids") && !quantity.equals("labels")) {
        List<String> row = rows(r, quantity);
        assertEquals(1, row.size(), quantity + " has one row");
        assertTrue(row.getFirst().endsWith("PASS"), row.getFirst());
      }
    }
    assertTrue(
        rows(r, "greedy_tokens").getFirst().matches("greedy_tokens +tokens differ +0 +0 +PASS"),
        r.out());
  }

  /**
   * Copies a fixture, rewriting reference.safetensors with {@code edit} applied to tensor {@code
   * name} (left out when {@code edit} is null).
   */
  private Path copyWith(String fixture, String name, UnaryOperator<float[]> edit)
      throws IOException {
    return copyWith(fixture, name, null, edit);
  }

  /** The same, giving the edited tensor {@code shape} (null: its own). */
  private Path copyWith(String fixture, String name, long[] shape, UnaryOperator<float[]> edit)
      throws IOException {
    Path from = fixture(fixture);
    Path to = tmp.resolve(fixture);
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals("reference.safetensors")) {
          Files.copy(p, target);
        }
      }
    }
    try (SafeTensorsFile ref = SafeTensorsFile.open(from.resolve("reference.safetensors"))) {
      SafeTensorsWriter w = SafeTensorsWriter.create();
      for (String n : ref.names()) {
        TensorInfo info = ref.info(n);
        if (!n.equals(name)) {
          w.add(n, info.dtype(), info.shape(), ref.segment(n));
        } else if (edit != null) {
          w.addFloats(
              n,
              shape == null ? info.shape() : shape,
              edit.apply(ref.floats(n)),
              SafeTensorsDtype.F32);
        }
      }
      w.write(to.resolve("reference.safetensors"));
    }
    return to;
  }

  @Test
  void aCorruptedReferenceValueFailsItsRowAndExits1() throws IOException {
    String grad = "grad.base_model.model.model.layers.1.mlp.up_proj.lora_B.weight";
    Path dir =
        copyWith(
            "tiny-llama",
            grad,
            g -> {
              float[] bad = g.clone();
              bad[3] += 1e-2f * (Math.abs(bad[3]) + 1e-3f) * 100; // far beyond 1e-4 relative L2
              return bad;
            });
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(rows(r, grad).getFirst().endsWith("FAIL"), r.out());
    assertTrue(rows(r, "base_logits").getFirst().endsWith("PASS"), r.out());
    assertEquals(1, r.out().lines().filter(l -> l.endsWith("FAIL")).count(), r.out());
    assertTrue(r.out().contains("FAIL: 1 of "), r.out());
  }

  @Test
  void aQuantityTheReferenceLacksIsSkippedWithANote() throws IOException {
    Path dir = copyWith("tiny-llama-gqa", "lora_logits", null);
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("note: lora_logits absent: skipped."), r.out());
    assertEquals(List.of(), rows(r, "lora_logits"));
  }

  @Test
  void aMistralConfigWithAWindowAsLongAsTheSequenceMatchesAndAShorterWindowDoesNot()
      throws IOException {
    Path dir = copyWith("tiny-llama", "none", null);
    Path config = dir.resolve("base/config.json");
    String llama = Files.readString(config);
    String mistral =
        llama
            .replace("\"model_type\": \"llama\"", "\"model_type\": \"mistral\"")
            .replace("LlamaForCausalLM", "MistralForCausalLM")
            .replaceFirst("\\{", "{\n  \"sliding_window\": 16,");
    Files.writeString(config, mistral);
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(
        r.out().contains("mistral, 2 layers") && r.out().contains("sliding window 16"), r.out());

    Files.writeString(config, mistral.replace("\"sliding_window\": 16", "\"sliding_window\": 4"));
    r = MainTest.run("verify-reference", dir.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(
        rows(r, "base_hidden.0").getFirst().endsWith("PASS"),
        "the embedding does not see the window");
    assertTrue(
        rows(r, "base_logits").getFirst().endsWith("FAIL"),
        "a window of 4 < 16 tokens changes the logits");
  }

  @Test
  void aMissingFolderIsOneSentenceAndStatus2() {
    Path absent = tmp.resolve("absent");
    MainTest.Run r = MainTest.run("verify-reference", absent.toString());
    assertEquals(2, r.status());
    assertEquals(
        "lorakit verify-reference: no such file: " + absent + "." + System.lineSeparator(),
        r.err());
  }

  @Test
  void aFolderWithoutReferenceValuesIsOneSentenceAndStatus2() throws IOException {
    Path dir = copyWith("tiny-llama", "none", null);
    Files.delete(dir.resolve("reference.safetensors"));
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(2, r.status());
    assertEquals(
        "lorakit verify-reference: "
            + dir
            + " is not a reference folder: it has no reference.safetensors "
            + "(expected base/, adapter_init/, reference.json and reference.safetensors).",
        r.err().strip());
  }

  @Test
  void aReferenceTensorOfAnotherShapeIsAMalformedReference() throws IOException {
    Path dir =
        copyWith("tiny-llama", "base_loss", new long[] {2}, loss -> new float[] {loss[0], loss[0]});
    MainTest.Run r = MainTest.run("verify-reference", dir.toString());
    assertEquals(2, r.status(), r.out());
    assertEquals(
        "lorakit verify-reference: reference.safetensors: tensor \"base_loss\" has shape [2], but the model "
            + "and input_ids call for [1].",
        r.err().strip());
  }

  @Test
  void bf16OnTheCpuPassesWithinBf16TolerancesAndUnknownPrecisionsAreRefused() {
    Path dir = fixture("tiny-llama");
    MainTest.Run r = MainTest.run("verify-reference", dir.toString(), "--precision", "bf16");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("precision bf16 on cpu"), r.out());
    r = MainTest.run("verify-reference", dir.toString(), "--precision", "fp8");
    assertEquals(2, r.status());
    assertTrue(
        r.err().contains("--precision fp8: the precision must be fp32 or bf16, not fp8."), r.err());
  }
}
