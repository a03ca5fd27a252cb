package dev.lorakit.testkit;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.LayerWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The random models of the tests and benchmarks: decoder weights and LoRA matrices drawn from a
 * seed on any backend, for code that needs a model but no reference data. Two initialisations:
 * {@link #weights} (large, varied values and norms that are not ones, so that every path of a
 * gradient check shows) and {@link #scaledWeights} (as a real model is initialised, so that
 * activations keep their scale through the blocks: what a benchmark step computes on).
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
      config = withRsLora(config);
    }
    return LoraSpec.of(config, c);
  }

  /** All seven projections. */
  public static final String[] ALL = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"
  };

  private static LoraConfig withRsLora(LoraConfig c) {
    return new LoraConfig(
        c.r(),
        c.loraAlpha(),
        c.loraDropout(),
        c.targetModules(),
        c.excludeModules(),
        true,
        c.bias(),
        c.layersToTransform(),
        c.layersPattern(),
        c.rankPattern(),
        c.alphaPattern(),
        c.modulesToSave(),
        c.initLoraWeights(),
        c.taskType(),
        c.baseModelNameOrPath(),
        c.peftType(),
        c.fanInFanOut(),
        c.targetParameters(),
        c.inferenceMode(),
        null);
  }

  /** A float32 tensor of N(0, scale^2) values. */
  public static Tensor random(Backend backend, Random rnd, double scale, int... dims) {
    float[] a = new float[(int) Shape.of(dims).size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return backend.upload(a, DType.F32, Shape.of(dims));
  }

  /** A norm weight of {@code 1 + N(0, 0.01)} values. */
  public static Tensor norm(Backend backend, Random rnd, int h) {
    float[] a = new float[h];
    for (int i = 0; i < h; i++) {
      a[i] = (float) (1 + 0.1 * rnd.nextGaussian());
    }
    return backend.upload(a, DType.F32, Shape.of(h));
  }

  /**
   * Projections N(0, 0.09), embeddings N(0, 1), norms {@link #norm}: large enough that every term
   * matters.
   */
  public static DecoderWeights weights(DecoderConfig c, Backend backend, long seed) {
    Random rnd = new Random(seed);
    int h = c.hidden();
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.layers(); l++) {
      layers.add(
          new LayerWeights(
              norm(backend, rnd, h),
              random(backend, rnd, 0.3, c.qWidth(), h),
              random(backend, rnd, 0.3, c.kvWidth(), h),
              random(backend, rnd, 0.3, c.kvWidth(), h),
              random(backend, rnd, 0.3, h, c.qWidth()),
              norm(backend, rnd, h),
              random(backend, rnd, 0.3, c.intermediate(), h),
              random(backend, rnd, 0.3, c.intermediate(), h),
              random(backend, rnd, 0.3, h, c.intermediate())));
    }
    Tensor embed = random(backend, rnd, 1, c.vocab(), h);
    Tensor head = c.tiedEmbeddings() ? embed : random(backend, rnd, 0.3, c.vocab(), h);
    return new DecoderWeights(embed, layers, norm(backend, rnd, h), head);
  }

  /** LoRA matrices with random non-zero A and B, so every gradient path is exercised. */
  public static LoraWeights lora(LoraSpec spec, Backend backend, long seed) {
    LoraWeights w = LoraWeights.zeros(spec, backend);
    Random rnd = new Random(seed);
    for (LoraWeights.Pair p : w.pairs()) {
      backend.copy(random(backend, rnd, 0.2, p.a().shape().dims()), p.a());
      backend.copy(random(backend, rnd, 0.2, p.b().shape().dims()), p.b());
    }
    return w;
  }

  /**
   * Weights initialised as a real model's: embeddings N(0, 1); every projection N(0, 1/in), so that
   * activations keep their scale through the blocks; the output projection N(0, 1/hidden); norms 1.
   * Matrices are stored as {@code matrices} (F32, or BF16 as frozen weights on a GPU); norms F32.
   */
  public static DecoderWeights scaledWeights(
      DecoderConfig c, Backend backend, Random rnd, DType matrices) {
    int h = c.hidden();
    double s = 1 / Math.sqrt(h);
    double sDown = 1 / Math.sqrt(c.intermediate());
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.layers(); l++) {
      layers.add(
          new LayerWeights(
              ones(backend, h),
              matrix(backend, rnd, s, matrices, c.qWidth(), h),
              matrix(backend, rnd, s, matrices, c.kvWidth(), h),
              matrix(backend, rnd, s, matrices, c.kvWidth(), h),
              matrix(backend, rnd, s, matrices, h, c.qWidth()),
              ones(backend, h),
              matrix(backend, rnd, s, matrices, c.intermediate(), h),
              matrix(backend, rnd, s, matrices, c.intermediate(), h),
              matrix(backend, rnd, sDown, matrices, h, c.intermediate())));
    }
    Tensor embed = matrix(backend, rnd, 1, matrices, c.vocab(), h);
    Tensor head = c.tiedEmbeddings() ? embed : matrix(backend, rnd, s, matrices, c.vocab(), h);
    return new DecoderWeights(embed, layers, ones(backend, h), head);
  }

  private static Tensor matrix(
      Backend backend, Random rnd, double scale, DType dtype, int rows, int cols) {
    float[] a = new float[rows * cols];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return backend.upload(a, dtype, Shape.of(rows, cols));
  }

  private static Tensor ones(Backend backend, int n) {
    float[] x = new float[n];
    Arrays.fill(x, 1f);
    return backend.upload(x, DType.F32, Shape.of(n));
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
