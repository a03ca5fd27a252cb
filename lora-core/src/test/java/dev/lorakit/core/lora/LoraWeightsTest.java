package dev.lorakit.core.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters in and out of the engine as PEFT adapter folders, and adapters made for another model.
 */
class LoraWeightsTest {

  private static final CpuBackend BE = new CpuBackend(2);

  /** The shape of the tiny-llama fixture (fixtures/hf/tiny-llama, see NOTICE.md). */
  private static final DecoderConfig TINY =
      new DecoderConfig(256, 64, 160, 2, 4, 4, 16, 10000, 1e-6, 0, false, 2048);

  @TempDir Path dir;

  @AfterAll
  static void close() {
    BE.close();
  }

  private static Path fixture() {
    return Fixtures.hf("tiny-llama/adapter_init");
  }

  @Test
  void aPeftAdapterLoadsWithItsValuesRanksAndScales() throws IOException {
    PeftAdapter adapter = PeftAdapter.read(fixture());
    try (LoraWeights w = LoraWeights.read(fixture(), TINY, BE)) {
      assertEquals(2 * 7, w.pairs().size());
      for (LoraWeights.Pair p : w.pairs()) {
        assertEquals(4, p.module().rank());
        assertEquals(2.0f, p.scale(), "lora_alpha 8 / r 4");
        assertArrayEquals(
            adapter.loraA(p.module().name()).values(), BE.download(p.a()), p.module().name());
        assertArrayEquals(
            adapter.loraB(p.module().name()).values(), BE.download(p.b()), p.module().name());
      }
    }
  }

  @Test
  void savedAdaptersLoadBackBitForBitWithTheirConfig() throws IOException {
    LoraConfig config =
        LoraConfig.fromJson(
            (ObjectNode)
                new ObjectMapper()
                    .readTree(
                        """
                {"r": 4, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": ["q_proj", "v_proj", "down_proj"],
                 "rank_pattern": {"down_proj": 2}, "alpha_pattern": {"model.layers.1.self_attn.q_proj": 3},
                 "init_lora_weights": false, "task_type": "CAUSAL_LM"}"""));
    Path folder = dir.resolve("adapter");
    try (LoraWeights w = LoraWeights.init(LoraSpec.of(config, TINY), BE, 5)) {
      w.save(folder);
      try (LoraWeights back = LoraWeights.read(folder, TINY, BE)) {
        List<Parameter> a = w.parameters();
        List<Parameter> b = back.parameters();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
          assertEquals(a.get(i).name(), b.get(i).name());
          assertArrayEquals(
              floatBits(BE.download(a.get(i).value())),
              floatBits(BE.download(b.get(i).value())),
              a.get(i).name());
        }
        assertEquals(w.spec().modules(), back.spec().modules(), "same modules, ranks and scales");
        assertEquals(config.rankPattern(), back.spec().config().rankPattern());
        assertEquals(0.05, back.spec().dropout());
      }
    }
    assertTrue(
        Files.readString(folder.resolve(PeftAdapter.CONFIG_FILE)).contains("\"rank_pattern\": {"));
    assertTrue(
        PeftAdapter.read(folder)
            .tensors()
            .containsKey("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"),
        "PEFT's tensor names");
  }

  private static int[] floatBits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  @Test
  void anAdapterForOtherDimensionsNamesTheTensorAndBothShapes() {
    DecoderConfig narrower =
        new DecoderConfig(256, 32, 160, 2, 4, 4, 8, 10000, 1e-6, 0, false, 2048);
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> LoraWeights.read(fixture(), narrower, BE));
    assertEquals(
        fixture()
            + ": Adapter tensor \"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\" "
            + "has shape [4, 64], but this model needs [4, 32] (rank 4, in_features 32).",
        e.getMessage());
    DecoderConfig gqa = new DecoderConfig(256, 64, 160, 2, 4, 2, 16, 10000, 1e-6, 0, false, 2048);
    e = assertThrows(LorakitInputException.class, () -> LoraWeights.read(fixture(), gqa, BE));
    assertTrue(
        e.getMessage()
            .endsWith(
                "Adapter tensor \"base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight\" "
                    + "has shape [64, 4], but this model needs [32, 4] (out_features 32, rank 4)."),
        e.getMessage());
  }

  @Test
  void anAdapterForMoreLayersNamesTheLayer() {
    DecoderConfig oneLayer =
        new DecoderConfig(256, 64, 160, 1, 4, 4, 16, 10000, 1e-6, 0, false, 2048);
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> LoraWeights.read(fixture(), oneLayer, BE));
    assertTrue(
        e.getMessage()
            .matches(
                ".*: Adapter tensor \"base_model\\.model\\.model\\.layers\\.1\\.[a-z_.]+\\.lora_A"
                    + "\\.weight\" is for layer 1, but the model has 1 layer \\(0\\)\\."),
        e.getMessage());
  }

  @Test
  void aRankThatDisagreesWithTheConfigNamesTheTensor() throws IOException {
    Path folder = dir.resolve("rank");
    Files.createDirectories(folder);
    Files.copy(
        fixture().resolve(PeftAdapter.WEIGHTS_FILE), folder.resolve(PeftAdapter.WEIGHTS_FILE));
    Files.writeString(
        folder.resolve(PeftAdapter.CONFIG_FILE),
        Files.readString(fixture().resolve(PeftAdapter.CONFIG_FILE))
            .replace("\"r\": 4,", "\"r\": 8,"));
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> LoraWeights.read(folder, TINY, BE));
    assertTrue(
        e.getMessage()
            .matches(
                ".*Tensor \"base_model\\.model\\.model\\.layers\\.0\\.[a-z_.]+\\.lora_A\\.weight\" "
                    + "has shape \\[4, (64|160)], but the config gives module .* rank 8; expected \\[8, in]\\."),
        e.getMessage());
  }

  @Test
  void anAdapterMissingASelectedModuleIsNamed() throws IOException {
    PeftAdapter adapter = PeftAdapter.read(fixture());
    Map<String, PeftAdapter.AdapterTensor> fewer = new LinkedHashMap<>(adapter.tensors());
    fewer.remove(PeftAdapter.loraAName("model.layers.1.mlp.up_proj"));
    fewer.remove(PeftAdapter.loraBName("model.layers.1.mlp.up_proj"));
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> LoraWeights.of(new PeftAdapter(adapter.config(), fewer), TINY, BE));
    assertEquals(
        "The adapter has no tensor \"base_model.model.model.layers.1.mlp.up_proj.lora_A.weight\", though "
            + "its config selects model.layers.1.mlp.up_proj.",
        e.getMessage());
  }
}
