package dev.lorakit.testkit;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.util.List;
import java.util.Random;

/**
 * The random models of the tests: decoder weights and LoRA matrices drawn from a seed on any
 * backend, for code that needs a model but no reference data. The values are lora-core's {@link
 * RandomWeights} (one counter-based hash for every random model: these, the tiny demo model, {@code
 * make-random-model}'s folders and the GPU benchmarks' weights); a model folder of them is written
 * by lora-models' {@code RandomModelFolder}. Two initialisations: {@link #weights} (large, varied
 * values and norms that are not ones, so that every path of a gradient check shows) and {@link
 * #scaledWeights} (as a real model is initialised, so that activations keep their scale through the
 * blocks).
 */
public final class RandomModel {

  private RandomModel() {}

  /** GQA (4 query heads on 2 kv heads), a sliding window of 5, untied head, 64 positions. */
  public static DecoderConfig mistralLike() {
    return new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 5, false, 64);
  }

  /**
   * LoRA of rank {@code r} and alpha {@code alpha} on the named modules of every layer of {@code
   * c}.
   */
  public static LoraSpec spec(
      DecoderConfig c, int r, double alpha, double dropout, boolean rsLora, String... targets) {
    LoraConfig config = LoraConfig.of(r, alpha, dropout, new TargetModules.Names(List.of(targets)));
    if (rsLora) {
      config = config.toBuilder().useRslora(true).build();
    }
    return LoraSpec.of(config, c);
  }

  /** All seven projections. */
  public static final String[] ALL = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"
  };

  /**
   * {@link RandomWeights.Init#LARGE} (projections std 0.3, embeddings 1, norms {@code 1 + U(-0.1,
   * 0.1)}), float32: large enough that every term of a gradient check matters.
   */
  public static DecoderWeights weights(DecoderConfig c, Backend backend, long seed) {
    return new RandomWeights(seed, RandomWeights.Init.LARGE).decoderWeights(c, backend, DType.F32);
  }

  /**
   * LoRA matrices with random non-zero A and B (std 0.2, drawn as {@link RandomWeights} draws, one
   * stream per matrix), so every gradient path is exercised.
   */
  public static LoraWeights lora(LoraSpec spec, Backend backend, long seed) {
    LoraWeights w = LoraWeights.zeros(spec, backend);
    long stream = 0;
    for (LoraWeights.Pair p : w.pairs()) {
      for (Tensor t : List.of(p.a(), p.b())) {
        RandomWeights.Draw d =
            new RandomWeights.Draw(
                "lora",
                seed,
                stream++,
                RandomWeights.Kind.PROJECTION,
                1,
                Math.toIntExact(t.size()),
                0,
                0.2 * Math.sqrt(3));
        try (Tensor values = backend.upload(d.values(), DType.F32, t.shape())) {
          backend.copy(values, t);
        }
      }
    }
    return w;
  }

  /**
   * {@link RandomWeights.Init#SCALED}, as a real model is initialised, so that activations keep
   * their scale through the blocks: matrices stored as {@code matrices} (F32, or BF16 as frozen
   * weights on a GPU), norms F32.
   */
  public static DecoderWeights scaledWeights(
      DecoderConfig c, Backend backend, long seed, DType matrices) {
    return new RandomWeights(seed, RandomWeights.Init.SCALED).decoderWeights(c, backend, matrices);
  }

  /** {@code n} token ids below {@code vocab}. */
  public static int[] tokens(Random rnd, int n, int vocab) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = rnd.nextInt(vocab);
    }
    return t;
  }
}
