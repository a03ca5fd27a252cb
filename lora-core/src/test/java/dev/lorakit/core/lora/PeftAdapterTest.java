package dev.lorakit.core.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PeftAdapterTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
  void roundTripIsBitExactAndKeepsTheConfig(String model) throws IOException {
    Path original = Fixtures.hf(model + "/adapter_init");
    PeftAdapter adapter = PeftAdapter.read(original);
    Path copy = dir.resolve("copy");
    adapter.write(copy);
    assertArrayEquals(
        Files.readAllBytes(original.resolve(PeftAdapter.WEIGHTS_FILE)),
        Files.readAllBytes(copy.resolve(PeftAdapter.WEIGHTS_FILE)),
        "weights byte for byte");
    assertEquals(
        Files.readString(original.resolve(PeftAdapter.CONFIG_FILE)),
        Files.readString(copy.resolve(PeftAdapter.CONFIG_FILE)),
        "config text, every field");
    try (Stream<Path> files = Files.list(copy)) {
      assertEquals(2, files.count(), "no temporary files left");
    }
  }

  @Test
  void readsPeftNamesAndShapes() throws IOException {
    PeftAdapter adapter = PeftAdapter.read(Fixtures.hf("tiny-llama-gqa/adapter_init"));
    assertEquals(3 * 7, adapter.modules().size());
    assertTrue(adapter.modules().contains("model.layers.2.self_attn.k_proj"));
    assertArrayEquals(new long[] {8, 64}, adapter.loraA("model.layers.2.self_attn.k_proj").shape());
    assertArrayEquals(
        new long[] {32, 8},
        adapter.loraB("model.layers.2.self_attn.k_proj").shape(),
        "GQA: k_proj has 2 kv heads of 16");
    assertArrayEquals(new long[] {8, 160}, adapter.loraA("model.layers.0.mlp.down_proj").shape());
    assertEquals(
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
        PeftAdapter.loraAName("model.layers.0.self_attn.q_proj"));
    float[] b = adapter.loraB("model.layers.0.self_attn.q_proj").values();
    assertTrue(Math.abs(b[0]) > 0, "B is random, not zero, in this fixture");
  }

  private static PeftAdapter small(SafeTensorsDtype dtype) {
    Random random = new Random(7);
    Map<String, PeftAdapter.AdapterTensor> tensors = new LinkedHashMap<>();
    for (String module :
        List.of("model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj")) {
      float[] a = new float[2 * 6];
      float[] b = new float[5 * 2];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) random.nextGaussian();
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) random.nextGaussian();
      }
      tensors.put(
          PeftAdapter.loraAName(module),
          new PeftAdapter.AdapterTensor(new long[] {2, 6}, a, dtype));
      tensors.put(
          PeftAdapter.loraBName(module),
          new PeftAdapter.AdapterTensor(new long[] {5, 2}, b, dtype));
    }
    return new PeftAdapter(LoraConfig.of(2, 4, 0, TargetModules.names("q_proj")), tensors);
  }

  @Test
  void bf16AdaptersStayBf16() throws IOException {
    PeftAdapter adapter = small(SafeTensorsDtype.BF16);
    adapter.write(dir.resolve("a"));
    PeftAdapter read = PeftAdapter.read(dir.resolve("a"));
    adapter.write(dir.resolve("b"));
    read.write(dir.resolve("c"));
    assertArrayEquals(
        Files.readAllBytes(dir.resolve("b").resolve(PeftAdapter.WEIGHTS_FILE)),
        Files.readAllBytes(dir.resolve("c").resolve(PeftAdapter.WEIGHTS_FILE)));
    assertEquals(SafeTensorsDtype.BF16, read.loraA("model.layers.1.self_attn.q_proj").dtype());
    assertEquals(2, read.config().r());
  }

  @Test
  void aMissingFileIsNamed() throws IOException {
    small(SafeTensorsDtype.F32).write(dir.resolve("a"));
    Files.delete(dir.resolve("a").resolve(PeftAdapter.WEIGHTS_FILE));
    IOException e = assertThrows(IOException.class, () -> PeftAdapter.read(dir.resolve("a")));
    assertTrue(e.getMessage().contains(PeftAdapter.WEIGHTS_FILE), e.getMessage());
  }

  @Test
  void tensorsThatDisagreeWithTheConfigAreRefused() throws IOException {
    Path folder = dir.resolve("bad");
    small(SafeTensorsDtype.F32).write(folder);
    LoraConfig.of(3, 4, 0, TargetModules.names("q_proj"))
        .write(folder.resolve(PeftAdapter.CONFIG_FILE));
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> PeftAdapter.read(folder));
    assertTrue(
        e.getMessage().contains("rank 3") && e.getMessage().contains("lora_A.weight"),
        e.getMessage());

    LoraConfig.of(2, 4, 0, TargetModules.names("v_proj"))
        .write(folder.resolve(PeftAdapter.CONFIG_FILE));
    e = assertThrows(LorakitInputException.class, () -> PeftAdapter.read(folder));
    assertTrue(e.getMessage().contains("do not select"), e.getMessage());

    SafeTensorsWriter.create()
        .addFloats(
            PeftAdapter.loraAName("model.layers.0.self_attn.q_proj"),
            new long[] {2, 6},
            new float[12],
            SafeTensorsDtype.F32)
        .write(folder.resolve(PeftAdapter.WEIGHTS_FILE));
    LoraConfig.of(2, 4, 0, TargetModules.names("q_proj"))
        .write(folder.resolve(PeftAdapter.CONFIG_FILE));
    e = assertThrows(LorakitInputException.class, () -> PeftAdapter.read(folder));
    assertTrue(e.getMessage().contains("no partner"), e.getMessage());
  }

  @Test
  void aFailedWriteLeavesAnExistingAdapterIntact() throws IOException {
    Path folder = dir.resolve("keep");
    small(SafeTensorsDtype.F32).write(folder);
    byte[] weights = Files.readAllBytes(folder.resolve(PeftAdapter.WEIGHTS_FILE));
    // A folder where the config file should go makes the second file fail after the first was
    // written.
    Path configPath = folder.resolve(PeftAdapter.CONFIG_FILE);
    Files.delete(configPath);
    Files.createDirectory(configPath);
    assertThrows(IOException.class, () -> small(SafeTensorsDtype.BF16).write(folder));
    assertArrayEquals(
        weights,
        Files.readAllBytes(folder.resolve(PeftAdapter.WEIGHTS_FILE)),
        "the old weights were not replaced");
    try (Stream<Path> files = Files.list(folder)) {
      assertEquals(2, files.count(), "no temporary files left");
    }
  }
}
