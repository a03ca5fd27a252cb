package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void llama2_7b_transformers4() throws IOException {
    ModelConfig c = ModelConfig.read(Fixtures.resource("configs/llama-2-7b/config.json"));
    assertEquals(ModelType.LLAMA, c.modelType());
    assertEquals(32000, c.vocab());
    assertEquals(4096, c.hidden());
    assertEquals(11008, c.intermediate());
    assertEquals(32, c.layers());
    assertEquals(32, c.heads());
    assertEquals(32, c.kvHeads());
    assertEquals(128, c.headDim());
    assertEquals(4096, c.maxPositions());
    assertEquals(1e-5, c.rmsEps());
    assertEquals(10000.0, c.ropeTheta());
    assertEquals(OptionalInt.empty(), c.slidingWindow());
    assertFalse(c.tiedEmbeddings());
    assertEquals(1, c.bosTokenId());
    assertEquals(List.of(2), c.eosTokenIds());
    assertEquals(OptionalInt.empty(), c.padTokenId());
    assertEquals(Optional.of("float16"), c.dtype());
    assertEquals(6_738_415_616L, c.parameterCount());
  }

  @Test
  void mistral_7b_v01_transformers4() throws IOException {
    ModelConfig c = ModelConfig.read(Fixtures.resource("configs/mistral-7b-v0.1/config.json"));
    assertEquals(ModelType.MISTRAL, c.modelType());
    assertEquals(14336, c.intermediate());
    assertEquals(8, c.kvHeads());
    assertEquals(128, c.headDim());
    assertEquals(1024, c.kvWidth());
    assertEquals(4096, c.qWidth());
    assertEquals(32768, c.maxPositions());
    assertEquals(10000.0, c.ropeTheta());
    assertEquals(OptionalInt.of(4096), c.slidingWindow());
    assertEquals(Optional.of("bfloat16"), c.dtype());
    assertEquals(7_241_732_096L, c.parameterCount());
  }

  @Test
  void tinyFixtures_transformers5() throws IOException {
    ModelConfig plain = ModelConfig.read(Fixtures.resource("hf/tiny-llama/base/config.json"));
    assertEquals(
        new ModelConfig(
            ModelType.LLAMA,
            256,
            64,
            160,
            2,
            4,
            4,
            16,
            128,
            1e-5,
            10000.0,
            OptionalInt.empty(),
            false,
            1,
            List.of(2),
            OptionalInt.empty(),
            Optional.of("float32")),
        plain);
    ModelConfig gqa = ModelConfig.read(Fixtures.resource("hf/tiny-llama-gqa/base/config.json"));
    assertEquals(
        new ModelConfig(
            ModelType.LLAMA,
            300,
            64,
            160,
            3,
            4,
            2,
            16,
            128,
            1e-5,
            500000.0,
            OptionalInt.empty(),
            false,
            1,
            List.of(2),
            OptionalInt.empty(),
            Optional.of("float32")),
        gqa);
    ModelConfig window =
        ModelConfig.read(Fixtures.resource("hf/tiny-mistral-window/base/config.json"));
    assertEquals(
        new ModelConfig(
            ModelType.MISTRAL,
            256,
            64,
            160,
            2,
            4,
            2,
            16,
            128,
            1e-5,
            10000.0,
            OptionalInt.of(6),
            false,
            1,
            List.of(2),
            OptionalInt.empty(),
            Optional.of("float32")),
        window);
  }

  /**
   * tiny-llama-tied's config.json was rewritten in the transformers 4.x spelling: a top-level
   * rope_theta.
   */
  @Test
  void tinyTiedFixture_transformers4Spelling() throws IOException {
    ModelConfig tied = ModelConfig.read(Fixtures.resource("hf/tiny-llama-tied/base/config.json"));
    assertEquals(
        new ModelConfig(
            ModelType.LLAMA,
            211,
            48,
            136,
            2,
            3,
            1,
            16,
            128,
            1e-6,
            500000.0,
            OptionalInt.empty(),
            true,
            1,
            List.of(2),
            OptionalInt.empty(),
            Optional.of("float32")),
        tied);
  }

  /**
   * The count from the config equals the element count of the tensors transformers actually saved.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void parameterCountMatchesTheSavedTensors(String model) throws IOException {
    Path base = Fixtures.resource("hf/" + model + "/base");
    JsonNode header = JSON.readTree(Fixtures.safetensorsHeader(base.resolve("model.safetensors")));
    long saved = 0;
    for (Map.Entry<String, JsonNode> e : header.properties()) {
      if (e.getKey().equals("__metadata__")) continue;
      long n = 1;
      for (JsonNode d : e.getValue().get("shape")) n *= d.longValue();
      saved += n;
    }
    assertEquals(saved, ModelConfig.read(base.resolve("config.json")).parameterCount());
  }

  @Test
  void tiedEmbeddingsAreCountedOnce() {
    ModelConfig untied = parse(llama(c -> {}));
    ModelConfig tied = parse(llama(c -> c.put("tie_word_embeddings", true)));
    assertTrue(tied.tiedEmbeddings());
    assertEquals(
        (long) untied.vocab() * untied.hidden(), untied.parameterCount() - tied.parameterCount());
  }

  @Test
  void headDimDefaultsToHiddenOverHeadsAndMayDiffer() {
    assertEquals(16, parse(llama(c -> c.remove("head_dim"))).headDim());
    ModelConfig wide = parse(llama(c -> c.put("head_dim", 32)));
    assertEquals(32, wide.headDim());
    assertEquals(128, wide.qWidth());
    assertEquals(64, wide.kvWidth());
    // q and o are hidden x heads*head_dim, k and v hidden x kv*head_dim
    long perLayerDelta = 64L * (128 - 64) * 2 + 64L * (64 - 32) * 2;
    assertEquals(perLayerDelta * 3, wide.parameterCount() - parse(llama(c -> {})).parameterCount());
  }

  @Test
  void keyValueHeadsDefaultToTheHeadCount() {
    ModelConfig c = parse(llama(o -> o.remove("num_key_value_heads")));
    assertEquals(4, c.kvHeads());
  }

  @Test
  void transformersDefaultsForAbsentFields() {
    ModelConfig l =
        parse(
            llama(
                c -> {
                  for (String f :
                      List.of(
                          "rms_norm_eps",
                          "max_position_embeddings",
                          "rope_parameters",
                          "bos_token_id",
                          "eos_token_id",
                          "tie_word_embeddings",
                          "dtype",
                          "hidden_act",
                          "attention_bias",
                          "mlp_bias")) {
                    c.remove(f);
                  }
                }));
    assertEquals(1e-6, l.rmsEps());
    assertEquals(2048, l.maxPositions());
    assertEquals(10000.0, l.ropeTheta());
    assertEquals(1, l.bosTokenId());
    assertEquals(2, l.eosTokenId());
    assertFalse(l.tiedEmbeddings());
    assertEquals(Optional.empty(), l.dtype());
    ModelConfig m = parse(mistral(c -> c.remove("max_position_embeddings")));
    assertEquals(131072, m.maxPositions());
  }

  @Test
  void mistralSlidingWindow() {
    assertEquals(
        OptionalInt.of(4096), parse(mistral(c -> c.remove("sliding_window"))).slidingWindow());
    assertEquals(
        OptionalInt.empty(), parse(mistral(c -> c.putNull("sliding_window"))).slidingWindow());
    assertEquals(
        OptionalInt.of(8), parse(mistral(c -> c.put("sliding_window", 8))).slidingWindow());
    // LlamaConfig has no window: transformers ignores the key, so do we.
    assertEquals(
        OptionalInt.empty(), parse(llama(c -> c.put("sliding_window", 8))).slidingWindow());
    assertError(mistral(c -> c.put("sliding_window", 0)), "sliding_window", "positive integer");
  }

  @Test
  void ropeSpellings() {
    // 4.x: top-level rope_theta, rope_scaling null or default
    assertEquals(
        5e5,
        parse(
                llama(
                    c -> {
                      c.remove("rope_parameters");
                      c.put("rope_theta", 5e5);
                      c.putNull("rope_scaling");
                    }))
            .ropeTheta());
    assertEquals(
        5e5,
        parse(
                llama(
                    c -> {
                      c.remove("rope_parameters");
                      c.put("rope_theta", 5e5);
                      c.putObject("rope_scaling").put("type", "default");
                    }))
            .ropeTheta());
    // 5.x: inside rope_parameters; an integer base is a number too
    assertEquals(
        1e6,
        parse(
                llama(
                    c ->
                        c.putObject("rope_parameters")
                            .put("rope_theta", 1000000)
                            .put("rope_type", "default")))
            .ropeTheta());
    // both spellings at once must agree
    assertEquals(5e5, parse(llama(c -> c.put("rope_theta", 500000))).ropeTheta());
    assertError(llama(c -> c.put("rope_theta", 20000.0)), "rope_theta", "disagree");
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear", "dynamic", "yarn", "llama3", "longrope"})
  void scaledRopeIsRefusedInBothSpellings(String kind) {
    String m4 =
        assertError(
            llama(
                c -> {
                  c.remove("rope_parameters");
                  c.putObject("rope_scaling").put("type", kind).put("factor", 2.0);
                }),
            "rope_scaling",
            '"' + kind + '"',
            "default");
    assertTrue(m4.contains("only unscaled RoPE"), m4);
    assertError(
        llama(
            c -> {
              c.remove("rope_parameters");
              c.putObject("rope_scaling").put("rope_type", kind).put("factor", 8.0);
            }),
        "rope_scaling",
        '"' + kind + '"',
        "default");
    assertError(
        llama(c -> c.putObject("rope_parameters").put("rope_theta", 1e4).put("rope_type", kind)),
        "rope_parameters",
        '"' + kind + '"',
        "default");
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2", "qwen2", "mixtral", "gemma", "Llama"})
  void otherModelTypesAreRefused(String type) {
    assertError(
        llama(c -> c.put("model_type", type)),
        "model_type",
        '"' + type + '"',
        "\"llama\" and \"mistral\"");
  }

  @Test
  void unsupportedLayerVariantsAreRefused() {
    assertError(llama(c -> c.put("hidden_act", "gelu")), "hidden_act", "\"gelu\"", "\"silu\"");
    assertError(llama(c -> c.put("attention_bias", true)), "attention_bias", "false");
    assertError(mistral(c -> c.put("mlp_bias", true)), "mlp_bias", "false");
    assertError(llama(c -> c.put("dtype", "float64")), "dtype", "\"float64\"", "bfloat16");
  }

  @Test
  void dtypeSpellings() {
    assertEquals(
        Optional.of("bfloat16"),
        parse(
                llama(
                    c -> {
                      c.remove("dtype");
                      c.put("torch_dtype", "bfloat16");
                    }))
            .dtype());
    assertError(
        mistral(
            c -> {
              c.remove("dtype");
              c.put("torch_dtype", "int8");
            }),
        "torch_dtype",
        "\"int8\"");
  }

  @Test
  void eosMayBeAList() {
    assertEquals(
        List.of(2, 7), parse(llama(c -> c.putArray("eos_token_id").add(2).add(7))).eosTokenIds());
    assertError(llama(c -> c.putArray("eos_token_id")), "eos_token_id", "non-empty list");
    assertError(llama(c -> c.putNull("eos_token_id")), "eos_token_id", "null");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "vocab_size",
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "model_type"
      })
  void missingRequiredFieldsAreNamed(String field) {
    assertError(llama(c -> c.remove(field)), '"' + field + '"', "missing");
  }

  @Test
  void wrongTypesAreNamedWithTheValue() {
    assertError(
        llama(c -> c.put("hidden_size", "64")),
        "\"hidden_size\"",
        "positive integer",
        "\"64\" (a string)");
    assertError(
        llama(c -> c.put("num_hidden_layers", 2.5)), "\"num_hidden_layers\"", "2.5 (a number)");
    assertError(llama(c -> c.put("vocab_size", -1)), "\"vocab_size\"", "-1");
    assertError(llama(c -> c.put("vocab_size", 5_000_000_000L)), "\"vocab_size\"", "5000000000");
    assertError(llama(c -> c.put("rms_norm_eps", "1e-5")), "\"rms_norm_eps\"", "positive number");
    assertError(
        llama(c -> c.put("tie_word_embeddings", "false")),
        "\"tie_word_embeddings\"",
        "true or false");
    assertError(llama(c -> c.put("rope_parameters", 5)), "\"rope_parameters\"", "JSON object");
    assertError(llama(c -> c.put("model_type", 3)), "\"model_type\"", "a string");
    assertError(llama(c -> c.put("pad_token_id", -5)), "\"pad_token_id\"", "non-negative integer");
  }

  @Test
  void inconsistentHeadsAreRefused() {
    assertError(
        llama(c -> c.put("num_key_value_heads", 3)),
        "num_attention_heads (4)",
        "num_key_value_heads (3)");
    assertError(
        llama(
            c -> {
              c.remove("head_dim");
              c.put("num_attention_heads", 5);
              c.put("num_key_value_heads", 5);
            }),
        "hidden_size (64)",
        "head_dim");
  }

  @Test
  void errorsNameTheFileTheyCameFrom(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, llama(c -> c.put("model_type", "falcon")));
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> ModelConfig.read(file));
    assertTrue(
        e.getMessage().startsWith(file.toString() + ": model_type \"falcon\""), e.getMessage());

    Files.writeString(file, "{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 64,,\n}");
    e = assertThrows(LorakitInputException.class, () -> ModelConfig.read(file));
    assertTrue(e.getMessage().startsWith(file + " is not valid JSON (at line 3"), e.getMessage());

    Files.writeString(file, "[1, 2]");
    e = assertThrows(LorakitInputException.class, () -> ModelConfig.read(file));
    assertTrue(e.getMessage().contains("must hold a JSON object"), e.getMessage());
  }

  // ---- helpers

  private static ModelConfig parse(String json) {
    return ModelConfig.parse(json, "config.json");
  }

  /** The tiny-llama-gqa config (transformers 5.x), edited. */
  private static String llama(Consumer<ObjectNode> edit) {
    return edited("hf/tiny-llama-gqa/base/config.json", edit);
  }

  /** The Mistral-7B config (transformers 4.x), edited. */
  private static String mistral(Consumer<ObjectNode> edit) {
    return edited("configs/mistral-7b-v0.1/config.json", edit);
  }

  private static String edited(String resource, Consumer<ObjectNode> edit) {
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(Files.readString(Fixtures.resource(resource)));
      edit.accept(o);
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Asserts the config is refused with one sentence that names the file and contains every
   * fragment.
   */
  private static String assertError(String json, String... fragments) {
    LorakitInputException e = assertThrows(LorakitInputException.class, () -> parse(json));
    String m = e.getMessage();
    assertTrue(m.startsWith("config.json"), m);
    assertTrue(m.endsWith("."), m);
    assertFalse(m.contains("\n"), m);
    for (String f : fragments) assertTrue(m.contains(f), "missing [" + f + "] in: " + m);
    return m;
  }
}
