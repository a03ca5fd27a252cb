package dev.lorakit.core.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LoraConfigTest {

  @Test
  void theBuilderStartsFromTheTrainCommandsDefaultsAndPeftsForTheRest() {
    LoraConfig c = LoraConfig.builder().build();
    assertEquals(
        LoraConfig.of(
            16,
            32,
            0.05,
            TargetModules.names(
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")),
        c);
    assertEquals("none", c.bias());
    assertEquals("CAUSAL_LM", c.taskType());
    assertFalse(c.useRslora());
    assertEquals(
        new TargetModules.AllLinear(),
        LoraConfig.builder().targetModules("all-linear").build().targetModules());
    LoraConfig changed = c.toBuilder().r(8).useRslora(true).baseModelNameOrPath("m").build();
    assertEquals(8, changed.r());
    assertTrue(changed.useRslora());
    assertEquals(c.targetModules(), changed.targetModules());
    assertEquals(32, changed.loraAlpha());
    assertEquals("m", changed.baseModelNameOrPath());
    assertThrows(LorakitInputException.class, () -> LoraConfig.builder().loraDropout(1).build());
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static Path fixtureConfig(String model) {
    return Fixtures.hf(model + "/adapter_init/adapter_config.json");
  }

  private static ObjectNode fixtureJson() throws IOException {
    return (ObjectNode) JSON.readTree(fixtureConfig("tiny-llama").toFile());
  }

  private static LoraConfig withField(String field, String json) throws IOException {
    ObjectNode node = fixtureJson();
    node.set(field, JSON.readTree(json));
    return LoraConfig.fromJson(node);
  }

  @Test
  void readsPeftsFields() throws IOException {
    LoraConfig config = LoraConfig.read(fixtureConfig("tiny-llama"));
    assertEquals(4, config.r());
    assertEquals(8.0, config.loraAlpha());
    assertEquals(0.0, config.loraDropout());
    assertEquals(
        new TargetModules.Names(
            List.of("gate_proj", "up_proj", "down_proj", "o_proj", "q_proj", "v_proj", "k_proj")),
        config.targetModules());
    assertEquals(InitLoraWeights.RANDOM, config.initLoraWeights(), "init_lora_weights false");
    assertEquals("CAUSAL_LM", config.taskType());
    assertEquals("LORA", config.peftType());
    assertNull(config.layersToTransform());
    assertNull(config.baseModelNameOrPath());
    assertTrue(config.inferenceMode());
    assertEquals(2.0, config.scaling("model.layers.0.self_attn.q_proj"));
    assertEquals(
        2.0,
        LoraConfig.read(fixtureConfig("tiny-llama-gqa")).scaling("model.layers.2.mlp.down_proj"),
        "16 / 8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
  void writingBackKeepsEveryFieldAndPeftsExactText(String model) throws IOException {
    Path original = fixtureConfig(model);
    LoraConfig config = LoraConfig.read(original);
    Path copy = dir.resolve("adapter_config.json");
    config.write(copy);
    assertEquals(
        JSON.readTree(original.toFile()), JSON.readTree(copy.toFile()), "every field, same values");
    assertEquals(
        Files.readString(original), Files.readString(copy), "the same text as PEFT writes");
  }

  @Test
  void unknownFieldsSurviveAndChangedFieldsAreOverlaid() throws IOException {
    ObjectNode json = fixtureJson();
    json.put("a_future_field", "kept");
    json.set("another_future_list", JSON.readTree("[1, 2]"));
    LoraConfig read = LoraConfig.fromJson(json);
    LoraConfig changed =
        new LoraConfig(
            16,
            32,
            0.05,
            read.targetModules(),
            read.excludeModules(),
            true,
            read.bias(),
            List.of(0, 1),
            read.layersPattern(),
            Map.of("q_proj", 8),
            read.alphaPattern(),
            read.modulesToSave(),
            InitLoraWeights.GAUSSIAN,
            read.taskType(),
            "meta-llama/Llama-2-7b-hf",
            read.peftType(),
            false,
            null,
            false,
            read.json());
    ObjectNode out = changed.toJson();
    assertEquals("kept", out.get("a_future_field").asText());
    assertEquals(JSON.readTree("[1, 2]"), out.get("another_future_list"));
    assertEquals(16, out.get("r").intValue());
    assertEquals(32, out.get("lora_alpha").intValue());
    assertEquals(0.05, out.get("lora_dropout").doubleValue());
    assertTrue(out.get("use_rslora").booleanValue());
    assertEquals(JSON.readTree("[0, 1]"), out.get("layers_to_transform"));
    assertEquals(JSON.readTree("{\"q_proj\": 8}"), out.get("rank_pattern"));
    assertEquals("gaussian", out.get("init_lora_weights").asText());
    assertEquals("meta-llama/Llama-2-7b-hf", out.get("base_model_name_or_path").asText());
    assertFalse(out.get("inference_mode").booleanValue());
    assertEquals("0.21.0", out.get("peft_version").asText(), "unmodelled PEFT fields are kept");
    assertEquals(json.size(), out.size(), "no field lost or added");

    Path file = dir.resolve("adapter_config.json");
    changed.write(file);
    LoraConfig reread = LoraConfig.read(file);
    assertEquals(changed.r(), reread.r());
    assertEquals(changed.rankPattern(), reread.rankPattern());
    assertEquals(changed.layersToTransform(), reread.layersToTransform());
    assertEquals(changed.initLoraWeights(), reread.initLoraWeights());
    assertTrue(Files.readString(file).contains("\"lora_dropout\": 0.05,"));
  }

  @Test
  void aConfigBuiltInCodeWritesPeftsFieldNames() {
    ObjectNode json = LoraConfig.of(8, 16, 0.1, TargetModules.names("q_proj", "v_proj")).toJson();
    for (String field :
        List.of(
            "r",
            "lora_alpha",
            "lora_dropout",
            "target_modules",
            "use_rslora",
            "bias",
            "layers_to_transform",
            "layers_pattern",
            "rank_pattern",
            "alpha_pattern",
            "modules_to_save",
            "init_lora_weights",
            "task_type",
            "base_model_name_or_path",
            "peft_type",
            "fan_in_fan_out")) {
      assertTrue(json.has(field), field);
    }
    assertEquals("LORA", json.get("peft_type").asText());
    assertEquals("none", json.get("bias").asText());
    assertTrue(json.get("init_lora_weights").booleanValue());
    assertEquals(
        LoraConfig.of(8, 16, 0.1, TargetModules.names("q_proj", "v_proj")).r(),
        LoraConfig.fromJson(json).r());
  }

  /**
   * Each option lorakit does not implement, switched on: refused with a sentence naming field and
   * value.
   */
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "use_dora | true | DoRA",
        "bias | \"all\" | only \"none\"",
        "bias | \"lora_only\" | only \"none\"",
        "fan_in_fan_out | true | [out, in]",
        "init_lora_weights | \"pissa\" | true, false and \"gaussian\"",
        "init_lora_weights | \"olora\" | true, false and \"gaussian\"",
        "init_lora_weights | \"loftq\" | true, false and \"gaussian\"",
        "init_lora_weights | \"pissa_niter_16\" | true, false and \"gaussian\"",
        "peft_type | \"LOHA\" | only \"LORA\"",
        "modules_to_save | [\"lm_head\"] | whole modules",
        "megatron_config | {\"tensor_model_parallel_size\": 2} | Megatron",
        "target_parameters | [\"experts.gate_up_proj\"] | linear modules only",
        "loftq_config | {\"loftq_bits\": 4} | LoftQ",
        "use_qalora | true | QALoRA",
        "lora_bias | true | bias in lora_B",
        "layer_replication | [[0, 4], [2, 5]] | replicate layers",
        "trainable_token_indices | [1, 2] | token embeddings",
        "task_type | \"SEQ_CLS\" | only \"CAUSAL_LM\"",
        "use_some_future_trick | true | does not know this option",
        "r | 0 | must be positive",
        "lora_dropout | 1.5 | [0, 1)",
        "r | \"eight\" | expected an integer",
      })
  void unsupportedOptionsAreRefusedByName(String field, String value, String why)
      throws IOException {
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> withField(field, value));
    assertTrue(
        e.getMessage().startsWith(field + " is " + JSON.readTree(value) + "; "), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void readingARefusedConfigNamesTheFileToo() throws IOException {
    ObjectNode json = fixtureJson();
    json.put("use_dora", true);
    Path file = dir.resolve("adapter_config.json");
    Files.writeString(file, json.toString());
    IOException e = assertThrows(IOException.class, () -> LoraConfig.read(file));
    assertTrue(
        e.getMessage().contains(file.toString()) && e.getMessage().contains("use_dora is true"),
        e.getMessage());
  }

  @Test
  void regexTargetsCannotBeCombinedWithLayerSelection() throws IOException {
    ObjectNode json = fixtureJson();
    json.put("target_modules", ".*\\.(q|v)_proj");
    json.put("layers_to_transform", 1);
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> LoraConfig.fromJson(json));
    assertTrue(e.getMessage().contains("layers_to_transform"), e.getMessage());
  }

  // ---- PEFT matching semantics ----

  @Test
  void listTargetsMatchWholeNamesOrDottedSuffixes() {
    LoraConfig config = LoraConfig.of(4, 8, 0, TargetModules.names("q_proj", "mlp.down_proj"));
    assertTrue(config.targets("model.layers.0.self_attn.q_proj"));
    assertTrue(config.targets("q_proj"));
    assertTrue(config.targets("model.layers.7.mlp.down_proj"));
    assertFalse(config.targets("model.layers.0.self_attn.xq_proj"), "suffix must follow a dot");
    assertFalse(config.targets("model.layers.0.self_attn.k_proj"));
    assertFalse(config.targets("model.layers.0.self_attn.q_proj.lora_A"));
  }

  @Test
  void aRegexMustMatchTheWholeName() throws IOException {
    ObjectNode json = fixtureJson();
    json.put("target_modules", "model\\.layers\\.[01]\\.self_attn\\.(q|v)_proj");
    LoraConfig config = LoraConfig.fromJson(json);
    assertTrue(config.targets("model.layers.1.self_attn.v_proj"));
    assertFalse(config.targets("model.layers.2.self_attn.v_proj"));
    assertFalse(config.targets("model.layers.1.self_attn.v_proj_extra"), "full match, not search");
    assertEquals(
        new TargetModules.Regex("model\\.layers\\.[01]\\.self_attn\\.(q|v)_proj"),
        config.targetModules());
  }

  @Test
  void allLinearIsEveryLinearButLmHead() throws IOException {
    LoraConfig config = withField("target_modules", "\"all-linear\"");
    assertTrue(config.targetModules() instanceof TargetModules.AllLinear);
    assertTrue(config.targets("model.layers.0.mlp.gate_proj"));
    assertFalse(config.targets("lm_head"));
    assertEquals("\"all-linear\"", config.toJson().get("target_modules").toString());
  }

  @Test
  void layersToTransformAsAnIntegerOrAList() throws IOException {
    LoraConfig one = withField("layers_to_transform", "1");
    assertEquals(List.of(1), one.layersToTransform());
    assertTrue(one.targets("model.layers.1.self_attn.q_proj"));
    assertFalse(one.targets("model.layers.0.self_attn.q_proj"));
    assertFalse(one.targets("model.layers.10.self_attn.q_proj"));
    assertEquals(
        "1", one.toJson().get("layers_to_transform").toString(), "the integer spelling is kept");

    LoraConfig some = withField("layers_to_transform", "[0, 2]");
    assertTrue(some.targets("model.layers.2.mlp.up_proj"));
    assertFalse(some.targets("model.layers.1.mlp.up_proj"));
    assertTrue(some.targets("x.q_proj", 0), "an explicit layer index is honoured");
    assertFalse(some.targets("x.q_proj", -1), "not in a layer, so not in the selected layers");
    assertFalse(
        some.targets("self_attn.q_proj"), "PEFT finds no layer index in a name without one");
  }

  @Test
  void layersPatternNamesTheLayerList() throws IOException {
    ObjectNode json = fixtureJson();
    json.set("layers_to_transform", JSON.readTree("[3]"));
    json.put("layers_pattern", "blocks");
    LoraConfig config = LoraConfig.fromJson(json);
    assertEquals(3, config.layerIndexOf("model.blocks.3.attn.q_proj"));
    assertEquals(-1, config.layerIndexOf("model.layers.3.self_attn.q_proj"));
    assertTrue(config.targets("model.blocks.3.attn.q_proj"));
    assertFalse(config.targets("model.layers.3.self_attn.q_proj"));
  }

  @Test
  void anExactListEntryIsNotFilteredByLayer() throws IOException {
    // PEFT applies layers_to_transform only to suffix matches; a full name in the list is taken as
    // is.
    ObjectNode json = fixtureJson();
    json.set("target_modules", JSON.readTree("[\"model.layers.0.self_attn.q_proj\", \"v_proj\"]"));
    json.put("layers_to_transform", 1);
    LoraConfig config = LoraConfig.fromJson(json);
    assertTrue(config.targets("model.layers.0.self_attn.q_proj"));
    assertFalse(config.targets("model.layers.0.self_attn.v_proj"));
    assertTrue(config.targets("model.layers.1.self_attn.v_proj"));
  }

  @Test
  void excludeModulesWins() throws IOException {
    LoraConfig list = withField("exclude_modules", "[\"down_proj\"]");
    assertFalse(list.targets("model.layers.0.mlp.down_proj"));
    assertTrue(list.targets("model.layers.0.mlp.up_proj"));
    LoraConfig regex = withField("exclude_modules", "\"model\\\\.layers\\\\.1\\\\..*\"");
    assertFalse(regex.targets("model.layers.1.mlp.up_proj"));
    assertTrue(regex.targets("model.layers.0.mlp.up_proj"));
  }

  @Test
  void rankAndAlphaPatternsOverrideByNameOrDottedSuffixFirstKeyWins() {
    Map<String, Integer> ranks = new LinkedHashMap<>();
    ranks.put("model.layers.0.self_attn.q_proj", 16);
    ranks.put("q_proj", 8);
    ranks.put("layers\\.1\\..*proj", 2);
    Map<String, Double> alphas = new LinkedHashMap<>();
    alphas.put("v_proj", 64.0);
    LoraConfig base = LoraConfig.of(4, 32, 0, new TargetModules.AllLinear());
    LoraConfig config =
        new LoraConfig(
            4,
            32,
            0,
            base.targetModules(),
            null,
            false,
            "none",
            null,
            null,
            ranks,
            alphas,
            null,
            InitLoraWeights.DEFAULT,
            "CAUSAL_LM",
            null,
            "LORA",
            false,
            null,
            false,
            null);
    assertEquals(16, config.rank("model.layers.0.self_attn.q_proj"));
    assertEquals(
        8, config.rank("model.layers.1.self_attn.q_proj"), "q_proj comes before the layers.1 key");
    assertEquals(2, config.rank("model.layers.1.mlp.up_proj"));
    assertEquals(4, config.rank("model.layers.0.mlp.up_proj"));
    assertEquals(
        4, config.rank("model.layers.0.self_attn.xq_proj"), "a key matches at a dot boundary only");
    assertEquals(32.0 / 16, config.scaling("model.layers.0.self_attn.q_proj"));
    assertEquals(64.0 / 4, config.scaling("model.layers.0.self_attn.v_proj"));
    assertEquals(32.0 / 4, config.scaling("model.layers.0.mlp.up_proj"));
  }

  @Test
  void rsLoraScalesBySquareRootOfRank() {
    LoraConfig plain = LoraConfig.of(16, 32, 0, TargetModules.names("q_proj"));
    LoraConfig rs =
        new LoraConfig(
            16,
            32,
            0,
            plain.targetModules(),
            null,
            true,
            "none",
            null,
            null,
            null,
            null,
            null,
            null,
            "CAUSAL_LM",
            null,
            "LORA",
            false,
            null,
            false,
            null);
    assertEquals(2.0, plain.scaling("model.layers.0.self_attn.q_proj"));
    assertEquals(8.0, rs.scaling("model.layers.0.self_attn.q_proj"));
  }

  @ParameterizedTest
  @CsvSource({
    "0.0, 0.0",
    "0.05, 0.05",
    "1e-05, 0.00001",
    "0.0001, 0.0001",
    "1e+16, 1e16",
    "123.5, 123.5",
    "-2.5e-07, -2.5e-7",
    "1e+22, 1e22",
    "16.0, 16"
  })
  void floatsAreSpelledAsPythonSpellsThem(String python, double value) {
    assertEquals(python, PythonJson.pythonFloat(value));
  }
}
