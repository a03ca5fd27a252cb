package dev.lorakit.core.nn;

import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models for tests that need no reference data. */
public final class Synthetic {

    private Synthetic() {
    }

    /** GQA (4 query heads on 2 kv heads), a sliding window of 5, untied head, 64 positions. */
    public static DecoderConfig mistralLike() {
        return new DecoderConfig(40, 16, 24, 2, 4, 2, 4, 10000, 1e-5, 5, false, 64);
    }

    /** LoRA of rank {@code r} and alpha {@code alpha} on the named modules of every layer of {@code c}. */
    public static LoraSpec spec(DecoderConfig c, int r, double alpha, double dropout, boolean rsLora, String... targets) {
        LoraConfig config = LoraConfig.of(r, alpha, dropout, new TargetModules.Names(List.of(targets)));
        if (rsLora) {
            config = withRsLora(config);
        }
        return LoraSpec.of(config, c);
    }

    /** All seven projections. */
    public static final String[] ALL = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

    private static LoraConfig withRsLora(LoraConfig c) {
        return new LoraConfig(c.r(), c.loraAlpha(), c.loraDropout(), c.targetModules(), c.excludeModules(), true, c.bias(),
                c.layersToTransform(), c.layersPattern(), c.rankPattern(), c.alphaPattern(), c.modulesToSave(),
                c.initLoraWeights(), c.taskType(), c.baseModelNameOrPath(), c.peftType(), c.fanInFanOut(),
                c.targetParameters(), c.inferenceMode(), null);
    }

    /** Relative L2 distance {@code |actual - expected| / |expected|}. */
    public static Tensor random(Backend be, Random rnd, double scale, int... dims) {
        float[] a = new float[(int) Shape.of(dims).size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return be.upload(a, DType.F32, Shape.of(dims));
    }

    public static Tensor norm(Backend be, Random rnd, int h) {
        float[] a = new float[h];
        for (int i = 0; i < h; i++) {
            a[i] = (float) (1 + 0.1 * rnd.nextGaussian());
        }
        return be.upload(a, DType.F32, Shape.of(h));
    }

    public static DecoderWeights weights(DecoderConfig c, Backend be, long seed) {
        Random rnd = new Random(seed);
        int h = c.hidden();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new LayerWeights(norm(be, rnd, h), random(be, rnd, 0.3, c.qWidth(), h),
                    random(be, rnd, 0.3, c.kvWidth(), h), random(be, rnd, 0.3, c.kvWidth(), h),
                    random(be, rnd, 0.3, h, c.qWidth()), norm(be, rnd, h), random(be, rnd, 0.3, c.intermediate(), h),
                    random(be, rnd, 0.3, c.intermediate(), h), random(be, rnd, 0.3, h, c.intermediate())));
        }
        Tensor embed = random(be, rnd, 1, c.vocab(), h);
        Tensor head = c.tiedEmbeddings() ? embed : random(be, rnd, 0.3, c.vocab(), h);
        return new DecoderWeights(embed, layers, norm(be, rnd, h), head);
    }

    /** LoRA matrices with random non-zero A and B, so every gradient path is exercised. */
    public static LoraWeights lora(LoraSpec spec, Backend be, long seed) {
        LoraWeights w = LoraWeights.zeros(spec, be);
        Random rnd = new Random(seed);
        for (LoraWeights.Pair p : w.pairs()) {
            be.copy(random(be, rnd, 0.2, p.a().shape().dims()), p.a());
            be.copy(random(be, rnd, 0.2, p.b().shape().dims()), p.b());
        }
        return w;
    }

    public static int[] tokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }
}
