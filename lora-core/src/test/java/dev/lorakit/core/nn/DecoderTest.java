package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.testkit.RandomModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder on small random models: gradients, checkpointing, the KV cache, merging,
 * initialisation.
 */
class DecoderTest {

  private static final CpuBackend BE = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();

  @AfterAll
  static void close() {
    BE.close();
  }

  private static LoraSpec spec(double dropout, String... targets) {
    return RandomModel.spec(C, 3, 6, dropout, false, targets);
  }

  private static int[] labels(Random rnd, int n) {
    int[] l = RandomModel.tokens(rnd, n, C.vocab());
    for (int i = 0; i < n; i += 4) {
      l[i] = Backend.IGNORE_INDEX;
    }
    return l;
  }

  private static List<float[]> grads(LoraWeights lora) {
    List<float[]> out = new ArrayList<>();
    for (Parameter p : lora.parameters()) {
      out.add(BE.download(p.grad()));
    }
    return out;
  }

  @ParameterizedTest(name = "dropout {0}")
  @ValueSource(doubles = {0.0, 0.3})
  void loraGradientsMatchFiniteDifferences(double dropout) {
    Random rnd = new Random(1);
    int batch = 2;
    int seq = 8;
    int[] ids = RandomModel.tokens(rnd, batch * seq, C.vocab());
    int[] labels = labels(rnd, batch * seq);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 2), BE);
        LoraWeights lora = RandomModel.lora(spec(dropout, RandomModel.ALL), BE, 3)) {
      d.setLora(lora);
      d.setTraining(true);
      d.setDropoutSeed(77);
      lora.zeroGrad();
      CausalLmLoss.forwardBackward(d, ids, labels, batch);
      for (Parameter p : lora.parameters()) {
        float[] value = BE.download(p.value());
        float[] grad = BE.download(p.grad());
        // A handful of entries per tensor keeps this fast; each is a full central difference.
        for (int probe = 0; probe < 3; probe++) {
          int i = rnd.nextInt(value.length);
          double[] losses = new double[2];
          for (int side = 0; side < 2; side++) {
            float[] moved = value.clone();
            moved[i] += side == 0 ? 1e-2f : -1e-2f;
            BE.copy(BE.upload(moved, DType.F32, p.value().shape()), p.value());
            losses[side] = CausalLmLoss.loss(d, ids, labels, batch);
          }
          BE.copy(BE.upload(value, DType.F32, p.value().shape()), p.value());
          double numeric = (losses[0] - losses[1]) / 2e-2;
          assertEquals(numeric, grad[i], 2e-3 + 2e-2 * Math.abs(numeric), p.name() + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void checkpointingGivesBitIdenticalGradientsAndLoss() {
    Random rnd = new Random(4);
    int batch = 2;
    int seq = 9;
    int[] ids = RandomModel.tokens(rnd, batch * seq, C.vocab());
    int[] labels = labels(rnd, batch * seq);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 5), BE);
        LoraWeights lora = RandomModel.lora(spec(0.2, RandomModel.ALL), BE, 6)) {
      d.setLora(lora);
      d.setTraining(true);
      d.setDropoutSeed(9);
      lora.zeroGrad();
      double stored = CausalLmLoss.forwardBackward(d, ids, labels, batch);
      List<float[]> expected = grads(lora);
      d.setCheckpointing(true);
      lora.zeroGrad();
      double recomputed = CausalLmLoss.forwardBackward(d, ids, labels, batch);
      assertEquals(stored, recomputed, 0.0);
      List<float[]> actual = grads(lora);
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), actual.get(i), lora.parameters().get(i).name());
      }
      assertTrue(
          expected.stream()
              .anyMatch(g -> BE.sumOfSquares(BE.upload(g, DType.F32, Shape.of(g.length))) > 0));
    }
  }

  @Test
  void forwardForLossProjectsOnlyCountedRowsWithTheSameLossAndGradients() {
    Random rnd = new Random(14);
    int batch = 3;
    int seq = 11;
    int[] ids = RandomModel.tokens(rnd, batch * seq, C.vocab());
    int[] labels = labels(rnd, batch * seq);
    for (int i = 0; i < labels.length; i += 3) {
      labels[i] = Backend.IGNORE_INDEX; // mostly masked, as prompts are
    }
    int[] targets = CausalLmLoss.targets(labels, batch);
    float scale = 1f / CausalLmLoss.counted(targets);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 15), BE);
        LoraWeights lora = RandomModel.lora(spec(0, RandomModel.ALL), BE, 16)) {
      d.setLora(lora);
      lora.zeroGrad();
      double full = d.backward(d.forward(ids, batch), targets, scale);
      List<float[]> expected = grads(lora);
      lora.zeroGrad();
      double counted = d.backward(d.forwardForLoss(ids, batch), targets, scale);
      List<float[]> actual = grads(lora);
      assertEquals(full, counted, 1e-9 * Math.abs(full));
      for (int i = 0; i < expected.size(); i++) {
        float[] e = expected.get(i);
        float[] x = actual.get(i);
        double err = 0;
        double ref = 0;
        for (int j = 0; j < e.length; j++) {
          err += (e[j] - x[j]) * (double) (e[j] - x[j]);
          ref += e[j] * (double) e[j];
        }
        assertTrue(
            Math.sqrt(err) <= 1e-5 * Math.sqrt(ref) + 1e-12,
            lora.parameters().get(i).name() + ": relative error " + Math.sqrt(err / ref));
      }
    }
  }

  @Test
  void forwardCachedLastGivesTheLastRowOfEachSequence() {
    Random rnd = new Random(17);
    int batch = 2;
    int n = 6;
    int[] ids = RandomModel.tokens(rnd, batch * n, C.vocab());
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 18), BE);
        KvCache all = new KvCache(C, BE, batch, n);
        KvCache last = new KvCache(C, BE, batch, n)) {
      float[] full = BE.download(d.forwardCached(ids, batch, all));
      float[] rows = BE.download(d.forwardCachedLast(ids, batch, last));
      assertEquals(batch * C.vocab(), rows.length);
      for (int b = 0; b < batch; b++) {
        float[] expected =
            Arrays.copyOfRange(full, (b * n + n - 1) * C.vocab(), (b * n + n) * C.vocab());
        assertArrayEquals(expected, Arrays.copyOfRange(rows, b * C.vocab(), (b + 1) * C.vocab()));
      }
      assertEquals(n, last.length());
    }
  }

  @Test
  void frozenLayersWithoutLoraStillPassGradientsToEarlierLayers() {
    Random rnd = new Random(7);
    int[] ids = RandomModel.tokens(rnd, 10, C.vocab());
    int[] labels = labels(rnd, 10);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 8), BE);
        LoraWeights lora = RandomModel.lora(spec(0, "v_proj"), BE, 9)) {
      d.setLora(lora);
      lora.zeroGrad();
      CausalLmLoss.forwardBackward(d, ids, labels, 1);
      float[] layer0 = BE.download(lora.get(0, LoraTarget.V_PROJ).gradA());
      assertTrue(
          Arrays.stream(box(layer0)).anyMatch(v -> v != 0),
          "layer 0 gets a gradient through layer 1");
      assertEquals(null, lora.get(0, LoraTarget.Q_PROJ));
    }
  }

  private static Float[] box(float[] a) {
    Float[] b = new Float[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i];
    }
    return b;
  }

  /** Greedy decoding by running the whole sequence again for every new token. */
  private static int[] greedyWithoutCache(Decoder d, int[] prompt, int newTokens) {
    int[] seq = Arrays.copyOf(prompt, prompt.length + newTokens);
    for (int n = prompt.length; n < seq.length; n++) {
      float[] logits = BE.download(d.forward(Arrays.copyOf(seq, n), 1).logits());
      seq[n] = Sampler.argmax(logits, (n - 1) * C.vocab(), C.vocab());
    }
    return seq;
  }

  @Test
  void kvCacheGenerationEqualsFullRecomputationPastTheWindow() {
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 10), BE);
        LoraWeights lora = RandomModel.lora(spec(0, RandomModel.ALL), BE, 11)) {
      d.setLora(lora);
      int[] prompt = {3, 17, 5, 29};
      int newTokens = 12; // well past the window of 5
      int[] cached = new Generator(d).generate(prompt, newTokens, -1, Sampler.Settings.greedy());
      assertArrayEquals(greedyWithoutCache(d, prompt, newTokens), cached);
      // The cached logits themselves match the full pass, position by position.
      int[] full = Arrays.copyOf(cached, cached.length - 1);
      float[] expected = BE.download(d.forward(full, 1).logits());
      try (KvCache cache = new KvCache(C, BE, 1, full.length)) {
        d.forwardCached(Arrays.copyOf(full, 4), 1, cache);
        for (int t = 4; t < full.length; t++) {
          float[] step = BE.download(d.forwardCached(new int[] {full[t]}, 1, cache));
          float[] row = Arrays.copyOfRange(expected, t * C.vocab(), (t + 1) * C.vocab());
          assertTrue(Errors.relativeL2(step, row) < 1e-6, "position " + t);
        }
        assertThrows(
            IllegalArgumentException.class, () -> d.forwardCached(new int[] {1}, 1, cache));
      }
    }
  }

  @Test
  void generationStopsAtEosAndSamplingIsSeeded() {
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 12), BE)) {
      Generator g = new Generator(d);
      int[] prompt = {1, 2, 3};
      int[] greedy = g.generate(prompt, 6, -1, Sampler.Settings.greedy());
      int eos = greedy[4];
      int[] stopped = g.generate(prompt, 6, eos, Sampler.Settings.greedy());
      assertArrayEquals(Arrays.copyOf(greedy, 5), stopped);
      assertArrayEquals(
          greedy,
          g.generate(prompt, 6, -1, new Sampler.Settings(0.7, 1, 1.0, 5)),
          "top-k 1 is greedy");
      Sampler.Settings hot = new Sampler.Settings(1.5, 0, 0.95, 42);
      int[] a = g.generate(prompt, 10, -1, hot);
      assertArrayEquals(a, g.generate(prompt, 10, -1, hot));
      boolean differs = false;
      for (long seed = 1; seed < 6 && !differs; seed++) {
        differs =
            !Arrays.equals(
                a, g.generate(prompt, 10, -1, new Sampler.Settings(1.5, 0, 0.95, 42 + seed)));
      }
      assertTrue(differs, "another seed gives another sample");
    }
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    float[] logits = {0f, 10f, 9.5f, -5f};
    Sampler s = new Sampler(new Sampler.Settings(1.0, 0, 0.5, 3));
    for (int i = 0; i < 50; i++) {
      assertEquals(1, s.next(logits, 0, 4), "p(1) = 0.62 >= 0.5 alone forms the nucleus");
    }
    Sampler wide = new Sampler(new Sampler.Settings(1.0, 2, 1.0, 3));
    for (int i = 0; i < 50; i++) {
      int t = wide.next(logits, 0, 4);
      assertTrue(t == 1 || t == 2);
    }
  }

  @Test
  void mergeGivesTheSameLogitsAndUnmergeRestoresTheWeights() {
    Random rnd = new Random(13);
    int[] ids = RandomModel.tokens(rnd, 12, C.vocab());
    DecoderWeights w = RandomModel.weights(C, BE, 14);
    float[] q0 = BE.download(w.layers().get(1).q());
    try (Decoder d = new Decoder(C, w, BE);
        LoraWeights lora =
            RandomModel.lora(RandomModel.spec(C, 2, 5, 0, true, RandomModel.ALL), BE, 15)) {
      float[] base = BE.download(d.forward(ids, 2).logits());
      d.setLora(lora);
      float[] adapted = BE.download(d.forward(ids, 2).logits());
      assertTrue(Errors.relativeL2(adapted, base) > 1e-3, "the adapter changes the output");
      d.mergeLora();
      assertTrue(d.isMerged());
      float[] merged = BE.download(d.forward(ids, 2).logits());
      assertTrue(Errors.relativeL2(merged, adapted) < 1e-5);
      assertThrows(IllegalStateException.class, d::mergeLora);
      d.unmergeLora();
      assertTrue(Errors.relativeL2(BE.download(w.layers().get(1).q()), q0) < 1e-6);
      assertTrue(Errors.relativeL2(BE.download(d.forward(ids, 2).logits()), adapted) < 1e-6);
    }
  }

  @Test
  void slidingWindowOnlyMattersBeyondItsLength() {
    DecoderConfig full = new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 0, false, 64);
    DecoderConfig wide = new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 8, false, 64);
    Random rnd = new Random(21);
    int[] ids = RandomModel.tokens(rnd, 8, C.vocab());
    int[] longer = RandomModel.tokens(rnd, 12, C.vocab());
    try (Decoder a = new Decoder(full, RandomModel.weights(full, BE, 22), BE);
        Decoder b = new Decoder(wide, RandomModel.weights(wide, BE, 22), BE)) {
      assertArrayEquals(
          BE.download(a.forward(ids, 1).logits()), BE.download(b.forward(ids, 1).logits()));
      float[] la = BE.download(a.forward(longer, 1).logits());
      float[] lb = BE.download(b.forward(longer, 1).logits());
      int v = C.vocab();
      assertArrayEquals(
          Arrays.copyOf(la, 8 * v), Arrays.copyOf(lb, 8 * v), "positions inside the window");
      assertFalse(
          Arrays.equals(
              Arrays.copyOfRange(la, 8 * v, 12 * v), Arrays.copyOfRange(lb, 8 * v, 12 * v)));
    }
  }

  @Test
  void causalShift() {
    assertArrayEquals(
        new int[] {2, 3, -100, 5, -100, -100},
        CausalLmLoss.targets(new int[] {1, 2, 3, 4, 5, -100}, 2));
    assertEquals(3, CausalLmLoss.counted(new int[] {2, 3, -100, 5, -100, -100}));
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> d.forward(new int[] {1, 2, 3}, 2));
      assertTrue(e.getMessage().contains("3 token ids"), e.getMessage());
      assertNotEquals(0, CausalLmLoss.loss(d, new int[] {1, 2, 3}, new int[] {1, 2, 3}, 1));
    }
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreNamedWithTheirPosition() {
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE)) {
      LorakitInputException e =
          assertThrows(LorakitInputException.class, () -> d.forward(new int[] {1, 40}, 1));
      assertEquals(
          "Token id 40 at position 1 is outside the model's vocabulary of 40 tokens (ids 0 to 39).",
          e.getMessage());
      e =
          assertThrows(
              LorakitInputException.class, () -> d.forward(new int[] {1, 2, 3, 4, -1, 5}, 2));
      assertEquals(
          "Token id -1 at position 1 of sequence 1 is outside the model's vocabulary of 40 tokens "
              + "(ids 0 to 39).",
          e.getMessage());
      try (KvCache cache = new KvCache(C, BE, 1, 8)) {
        d.forwardCached(new int[] {1, 2, 3}, 1, cache);
        e =
            assertThrows(
                LorakitInputException.class, () -> d.forwardCached(new int[] {1000}, 1, cache));
        assertEquals(
            "Token id 1000 at position 3 is outside the model's vocabulary of 40 tokens (ids 0 to 39).",
            e.getMessage());
      }
      e =
          assertThrows(
              LorakitInputException.class,
              () -> new Generator(d).generate(new int[] {3, 99}, 2, -1, Sampler.Settings.greedy()));
      assertTrue(e.getMessage().startsWith("Token id 99 at position 1 "), e.getMessage());
    }
  }

  @Test
  void sequencesLongerThanMaxPositionEmbeddingsAreRefused() {
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE)) {
      d.forward(new int[C.maxPositions()], 1);
      LorakitInputException e =
          assertThrows(
              LorakitInputException.class, () -> d.forward(new int[2 * (C.maxPositions() + 1)], 2));
      assertEquals(
          "A sequence of 65 tokens is longer than the model's max_position_embeddings of 64.",
          e.getMessage());
      e =
          assertThrows(
              LorakitInputException.class,
              () -> new Generator(d).generate(new int[60], 5, -1, Sampler.Settings.greedy()));
      assertEquals(
          "A prompt of 60 tokens and 5 new tokens do not fit the model's max_position_embeddings of 64.",
          e.getMessage());
    }
  }

  @Test
  void ranksAndScalesPerModuleGetExactGradientsAndMergeCorrectly() {
    LoraConfig config = LoraConfig.of(3, 6, 0, new TargetModules.AllLinear());
    config =
        new LoraConfig(
            3,
            6,
            0,
            config.targetModules(),
            null,
            false,
            "none",
            null,
            null,
            Map.of("o_proj", 1, "model.layers.1.mlp.up_proj", 5),
            Map.of("v_proj", 2.5),
            null,
            null,
            "CAUSAL_LM",
            null,
            "LORA",
            false,
            null,
            false,
            null);
    LoraSpec spec = LoraSpec.of(config, C);
    Random rnd = new Random(31);
    int[] ids = RandomModel.tokens(rnd, 12, C.vocab());
    int[] labels = labels(rnd, 12);
    DecoderWeights w = RandomModel.weights(C, BE, 32);
    try (Decoder d = new Decoder(C, w, BE);
        LoraWeights lora = RandomModel.lora(spec, BE, 33)) {
      assertEquals(1, lora.get(0, LoraTarget.O_PROJ).module().rank());
      assertEquals(5, lora.get(1, LoraTarget.UP_PROJ).module().rank());
      assertEquals(2.5f / 3, lora.get(1, LoraTarget.V_PROJ).scale(), 1e-7);
      d.setLora(lora);
      lora.zeroGrad();
      CausalLmLoss.forwardBackward(d, ids, labels, 2);
      for (LoraWeights.Pair p :
          List.of(
              lora.get(0, LoraTarget.O_PROJ),
              lora.get(1, LoraTarget.UP_PROJ),
              lora.get(1, LoraTarget.V_PROJ))) {
        for (Parameter param :
            List.of(new Parameter("A", p.a(), p.gradA()), new Parameter("B", p.b(), p.gradB()))) {
          float[] value = BE.download(param.value());
          float[] grad = BE.download(param.grad());
          int i = rnd.nextInt(value.length);
          double[] losses = new double[2];
          for (int side = 0; side < 2; side++) {
            float[] moved = value.clone();
            moved[i] += side == 0 ? 1e-2f : -1e-2f;
            BE.copy(BE.upload(moved, DType.F32, param.value().shape()), param.value());
            losses[side] = CausalLmLoss.loss(d, ids, labels, 2);
          }
          BE.copy(BE.upload(value, DType.F32, param.value().shape()), param.value());
          double numeric = (losses[0] - losses[1]) / 2e-2;
          assertEquals(
              numeric,
              grad[i],
              2e-3 + 2e-2 * Math.abs(numeric),
              p.module().name() + " " + param.name());
        }
      }
      float[] adapted = BE.download(d.forward(ids, 2).logits());
      d.mergeLora();
      assertTrue(
          Errors.relativeL2(BE.download(d.forward(ids, 2).logits()), adapted) < 1e-5,
          "merged = adapted");
      d.unmergeLora();
    }
  }
}
