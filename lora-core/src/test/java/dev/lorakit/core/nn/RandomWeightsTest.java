package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The values every random model is drawn from: uniform in [0, 1), a function of (seed, stream,
 * index) alone, the initialisations' moments, the tensors' order and shapes.
 */
class RandomWeightsTest {

  private static final DecoderConfig C =
      new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 0, false, 64);

  @Test
  void drawsAreUniformAndDependOnlyOnSeedStreamAndIndex() {
    int n = 200_000;
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double u = RandomWeights.uniform(7, 3, i);
      assertTrue(u >= 0 && u < 1, "draw " + i);
      sum += u;
      sq += u * u;
    }
    assertEquals(0.5, sum / n, 0.003);
    assertEquals(1.0 / 12, sq / n - (sum / n) * (sum / n), 0.001);
    assertEquals(RandomWeights.uniform(7, 3, 123_456), RandomWeights.uniform(7, 3, 123_456));
    assertNotEquals(RandomWeights.uniform(7, 3, 5), RandomWeights.uniform(8, 3, 5));
    assertNotEquals(RandomWeights.uniform(7, 3, 5), RandomWeights.uniform(7, 4, 5));
    assertNotEquals(RandomWeights.uniform(7, 3, 5), RandomWeights.uniform(7, 3, 6));
  }

  @Test
  void tensorsComeInTheModelsOrderWithTheirShapes() {
    List<RandomWeights.Draw> t = new RandomWeights(1, RandomWeights.Init.TRANSFORMERS).tensors(C);
    assertEquals(1 + 9 * 2 + 2, t.size());
    for (int i = 0; i < t.size(); i++) assertEquals(i, t.get(i).stream());
    assertEquals("model.embed_tokens.weight", t.get(0).name());
    assertEquals("model.layers.1.self_attn.k_proj.weight", t.get(12).name());
    assertArrayEquals(new long[] {8, 16}, t.get(12).shape());
    assertArrayEquals(new long[] {16}, t.get(10).shape());
    assertEquals("lm_head.weight", t.getLast().name());
    DecoderConfig tied = new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 0, true, 64);
    List<RandomWeights.Draw> u =
        new RandomWeights(1, RandomWeights.Init.TRANSFORMERS).tensors(tied);
    assertEquals(t.subList(0, t.size() - 1), u);
  }

  @Test
  void eachInitialisationGivesItsStandardDeviations() {
    DecoderConfig wide = new DecoderConfig(256, 64, 400, 1, 4, 4, 16, 10000, 1e-5, 0, false, 64);
    for (RandomWeights.Init init :
        List.of(
            RandomWeights.Init.TRANSFORMERS, RandomWeights.Init.SCALED, RandomWeights.Init.LARGE)) {
      for (RandomWeights.Draw d : new RandomWeights(3, init).tensors(wide)) {
        float[] v = d.values();
        double mean = 0;
        double sq = 0;
        double max = 0;
        for (float x : v) {
          mean += x;
          max = Math.max(max, Math.abs(x - d.offset()));
        }
        mean /= v.length;
        for (float x : v) sq += (x - mean) * (x - mean);
        double std = Math.sqrt(sq / v.length);
        String what = init + " " + d.name();
        if (d.kind() == RandomWeights.Kind.NORM) {
          assertEquals(1, mean, init.normSpread() / 10 + 1e-12, what);
          assertTrue(max <= init.normSpread() * (1 + 1e-6), what);
          assertEquals(init.normSpread() / Math.sqrt(3), std, init.normSpread() / 10 + 1e-12, what);
        } else {
          double expected =
              d.kind() == RandomWeights.Kind.EMBEDDING
                  ? init.embedding()
                  : init.perFanIn() ? init.projection() / Math.sqrt(d.cols()) : init.projection();
          assertEquals(expected, std, expected * 0.05, what);
          assertEquals(0, mean, expected * 0.05, what);
          assertTrue(max <= expected * Math.sqrt(3) * (1 + 1e-6), what);
        }
      }
    }
  }

  @Test
  void decoderWeightsHoldTheDrawsValues() {
    RandomWeights r = new RandomWeights(9, RandomWeights.Init.LARGE);
    try (CpuBackend cpu = new CpuBackend(1)) {
      DecoderWeights w = r.decoderWeights(C, cpu, DType.F32);
      List<RandomWeights.Draw> t = r.tensors(C);
      assertArrayEquals(t.get(0).values(), cpu.download(w.embed()));
      assertArrayEquals(t.get(1 + 9 + 8).values(), cpu.download(w.layers().get(1).down()));
      assertArrayEquals(t.get(1 + 9 + 5).values(), cpu.download(w.layers().get(1).mlpNorm()));
      assertArrayEquals(t.getLast().values(), cpu.download(w.lmHead()));
      w.close();
    }
  }
}
