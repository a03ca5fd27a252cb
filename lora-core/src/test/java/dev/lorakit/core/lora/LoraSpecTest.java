package dev.lorakit.core.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.testkit.RandomModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * PEFT's LoraConfig resolved against a decoder: which projections, which rank and scale, and the
 * refusals.
 */
class LoraSpecTest {

  private static final CpuBackend BE = new CpuBackend(2);

  /** Three layers, so that layer selection has something to leave out. */
  private static final DecoderConfig C =
      new DecoderConfig(40, 16, 24, 3, 4, 2, 4, 10000, 1e-5, 0, false, 64);

  @AfterAll
  static void close() {
    BE.close();
  }

  /**
   * A config from the JSON fields given (single quotes for double), PEFT's defaults for the rest.
   */
  private static LoraConfig config(String json) {
    try {
      return LoraConfig.fromJson((ObjectNode) new ObjectMapper().readTree(json.replace('\'', '"')));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> names(LoraSpec spec) {
    return spec.modules().stream().map(LoraSpec.Module::name).toList();
  }

  @Test
  void aListOfShortNamesAdaptsThemInEveryLayer() {
    LoraSpec spec =
        LoraSpec.of(config("{'r': 4, 'lora_alpha': 8, 'target_modules': ['v_proj', 'q_proj']}"), C);
    assertEquals(
        List.of(
            "model.layers.0.self_attn.q_proj",
            "model.layers.0.self_attn.v_proj",
            "model.layers.1.self_attn.q_proj",
            "model.layers.1.self_attn.v_proj",
            "model.layers.2.self_attn.q_proj",
            "model.layers.2.self_attn.v_proj"),
        names(spec));
    for (LoraSpec.Module m : spec.modules()) {
      assertEquals(4, m.rank());
      assertEquals(2.0, m.scale());
    }
    assertNull(spec.module(1, LoraTarget.K_PROJ));
    assertEquals(LoraTarget.V_PROJ, spec.module(1, LoraTarget.V_PROJ).target());
    assertEquals(
        3L * 4 * ((16 + 16) + (16 + 8)),
        spec.parameterCount(),
        "q: 16 -> 16, v: 16 -> 2 kv heads x 4");
  }

  @Test
  void aRegexMustMatchWholeNames() {
    LoraSpec spec =
        LoraSpec.of(
            config("{'target_modules': 'model\\\\.layers\\\\.[12]\\\\.mlp\\\\.(up|down)_proj'}"),
            C);
    assertEquals(
        List.of(
            "model.layers.1.mlp.up_proj",
            "model.layers.1.mlp.down_proj",
            "model.layers.2.mlp.up_proj",
            "model.layers.2.mlp.down_proj"),
        names(spec));
    assertEquals(8, spec.modules().getFirst().rank(), "PEFT's default r");
  }

  @Test
  void allLinearIsTheSevenProjectionsOfEveryBlock() {
    LoraSpec spec = LoraSpec.of(config("{'target_modules': 'all-linear'}"), C);
    assertEquals(3 * 7, spec.modules().size());
    assertEquals(
        List.of(LoraTarget.values()),
        spec.modules().subList(0, 7).stream().map(LoraSpec.Module::target).toList());
  }

  @Test
  void layersToTransformAndLayersPatternChooseBlocks() {
    LoraSpec spec =
        LoraSpec.of(
            config(
                "{'target_modules': ['o_proj'], 'layers_to_transform': [0, 2], "
                    + "'layers_pattern': 'layers'}"),
            C);
    assertEquals(
        List.of("model.layers.0.self_attn.o_proj", "model.layers.2.self_attn.o_proj"), names(spec));
    assertEquals(
        List.of("model.layers.1.self_attn.o_proj"),
        names(
            LoraSpec.of(
                config(
                    "{'target_modules': 'all-linear', 'layers_to_transform': 1, "
                        + "'exclude_modules': ['q_proj', 'k_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj']}"),
                C)));
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () ->
                LoraSpec.of(
                    config(
                        "{'target_modules': ['o_proj'], 'layers_to_transform': [1], 'layers_pattern': 'blocks'}"),
                    C));
    assertTrue(
        e.getMessage().contains("layers_pattern [blocks]")
            && e.getMessage().contains("matches no module"),
        e.getMessage());
  }

  @Test
  void rankPatternAlphaPatternAndRsLoraGiveEachModuleItsOwnRankAndScale() {
    LoraSpec spec =
        LoraSpec.of(
            config(
                "{'r': 4, 'lora_alpha': 8, 'target_modules': ['q_proj', 'down_proj'], "
                    + "'rank_pattern': {'model.layers.1.mlp.down_proj': 2, 'q_proj': 6}, 'alpha_pattern': {'down_proj': 3}}"),
            C);
    assertEquals(6, spec.module(0, LoraTarget.Q_PROJ).rank());
    assertEquals(8.0 / 6, spec.module(0, LoraTarget.Q_PROJ).scale(), 1e-15);
    assertEquals(4, spec.module(0, LoraTarget.DOWN_PROJ).rank());
    assertEquals(3.0 / 4, spec.module(0, LoraTarget.DOWN_PROJ).scale(), 1e-15);
    assertEquals(2, spec.module(1, LoraTarget.DOWN_PROJ).rank());
    assertEquals(3.0 / 2, spec.module(1, LoraTarget.DOWN_PROJ).scale(), 1e-15);
    LoraSpec rs =
        LoraSpec.of(
            config(
                "{'r': 4, 'lora_alpha': 8, 'use_rslora': true, 'target_modules': ['q_proj'], "
                    + "'rank_pattern': {'model.layers.2.self_attn.q_proj': 9}}"),
            C);
    assertEquals(8 / Math.sqrt(4), rs.module(0, LoraTarget.Q_PROJ).scale(), 1e-15);
    assertEquals(8 / Math.sqrt(9), rs.module(2, LoraTarget.Q_PROJ).scale(), 1e-15);
    try (LoraWeights w = LoraWeights.zeros(spec, BE)) {
      assertArrayEquals(new int[] {6, 16}, w.get(2, LoraTarget.Q_PROJ).a().shape().dims());
      assertArrayEquals(new int[] {16, 2}, w.get(1, LoraTarget.DOWN_PROJ).b().shape().dims());
      assertArrayEquals(new int[] {4, 24}, w.get(0, LoraTarget.DOWN_PROJ).a().shape().dims());
    }
  }

  @Test
  void aListEntryThatMatchesNothingIsNamedWithTheModulesThereAre() {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> LoraSpec.of(config("{'target_modules': ['q_proj', 'qv_proj']}"), C));
    assertEquals(
        "target_modules entry \"qv_proj\" matches no module of the model; its adaptable modules are "
            + "model.layers.{0..2}.self_attn.{q_proj,k_proj,v_proj,o_proj} and "
            + "model.layers.{0..2}.mlp.{gate_proj,up_proj,down_proj}.",
        e.getMessage());
  }

  @Test
  void aRegexThatMatchesNothingIsNamed() {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> LoraSpec.of(config("{'target_modules': '.*\\\\.attn\\\\.q_proj'}"), C));
    assertTrue(
        e.getMessage()
            .startsWith(
                "target_modules \".*\\.attn\\.q_proj\" matches no module of the model; "
                    + "its adaptable modules are model.layers.{0..2}.self_attn.{"),
        e.getMessage());
  }

  @Test
  void layersBeyondTheModelAndModulesLorakitDoesNotAdaptAreRefused() {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () ->
                LoraSpec.of(
                    config("{'target_modules': ['q_proj'], 'layers_to_transform': [1, 3]}"), C));
    assertEquals(
        "layers_to_transform holds layer 3, but the model has 3 layers (0 to 2).", e.getMessage());
    e =
        assertThrows(
            LorakitInputException.class,
            () -> LoraSpec.of(config("{'target_modules': ['q_proj', 'lm_head']}"), C));
    assertTrue(
        e.getMessage()
            .startsWith(
                "target_modules [\"q_proj\",\"lm_head\"] selects lm_head, which lorakit "
                    + "does not adapt"),
        e.getMessage());
    e =
        assertThrows(
            LorakitInputException.class, () -> LoraSpec.of(config("{'target_modules': '.*'}"), C));
    assertTrue(e.getMessage().contains("selects lm_head"), e.getMessage());
  }

  @Test
  void initLoraWeightsTrueFalseAndGaussian() {
    String targets = "'target_modules': 'all-linear', 'r': 4, 'lora_alpha': 8";
    LoraSpec byDefault = LoraSpec.of(config("{" + targets + "}"), C);
    LoraSpec random = LoraSpec.of(config("{" + targets + ", 'init_lora_weights': false}"), C);
    LoraSpec gaussian =
        LoraSpec.of(config("{" + targets + ", 'init_lora_weights': 'gaussian'}"), C);
    try (LoraWeights def = LoraWeights.init(byDefault, BE, 1);
        LoraWeights rnd = LoraWeights.init(random, BE, 1);
        LoraWeights gauss = LoraWeights.init(gaussian, BE, 1)) {
      for (LoraWeights.Pair p : def.pairs()) {
        double bound = 1 / Math.sqrt(p.target().in(C));
        double max = maxAbs(BE.download(p.a()));
        assertTrue(
            max <= bound && max > 0.5 * bound, p.target() + " A within U(-1/sqrt(in), 1/sqrt(in))");
        assertEquals(0.0, BE.sumOfSquares(p.b()), "B starts at zero");
      }
      for (LoraWeights.Pair p : rnd.pairs()) {
        double max = maxAbs(BE.download(p.b()));
        assertTrue(
            max <= 1 / Math.sqrt(4) && max > 0.25,
            p.target() + " B within U(-1/sqrt(r), 1/sqrt(r))");
      }
      double ss = 0;
      long n = 0;
      for (LoraWeights.Pair p : gauss.pairs()) {
        ss += BE.sumOfSquares(p.a());
        n += p.a().size();
        assertEquals(0.0, BE.sumOfSquares(p.b()));
      }
      assertEquals(1.0 / 4, Math.sqrt(ss / n), 0.02, "gaussian A has standard deviation 1/r");

      int[] ids = RandomModel.tokens(new Random(2), 6, C.vocab());
      try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 3), BE)) {
        float[] base = BE.download(d.forward(ids, 1).logits());
        d.setLora(def);
        assertArrayEquals(
            base, BE.download(d.forward(ids, 1).logits()), "B = 0: the adapter starts as a no-op");
        d.setLora(rnd);
        assertTrue(
            Errors.relativeL2(BE.download(d.forward(ids, 1).logits()), base) > 1e-4,
            "init_lora_weights false changes the model from the start");
      }
    }
  }

  private static double maxAbs(float[] a) {
    double max = 0;
    for (float v : a) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
