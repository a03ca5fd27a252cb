package dev.lorakit.bench;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.LayerWeights;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small random LLaMA-style model with LoRA on every linear layer, and one optimizer step of it: what the training
 * benchmarks time. The weights are random; the arithmetic is that of a real model of this shape.
 */
public final class DemoModel implements AutoCloseable {

    /**
     * The shape of the benchmarked step.
     *
     * @param config the decoder
     * @param rank   LoRA rank (alpha = 2 rank, no dropout, all seven projections)
     * @param batch  sequences per step
     * @param seq    tokens per sequence
     */
    public record Setup(DecoderConfig config, int rank, int batch, int seq) {

        /** hidden 256, intermediate 768, 4 layers, 8 heads, vocab 32000; LoRA r 8; 8 sequences of 256 tokens. */
        public static Setup demo() {
            return of(256, 768, 4, 8, 32000, 8, 8, 256);
        }

        public static Setup of(int hidden, int intermediate, int layers, int heads, int vocab, int rank, int batch,
                int seq) {
            DecoderConfig c = new DecoderConfig(vocab, hidden, intermediate, layers, heads, heads, hidden / heads,
                    10000, 1e-5, 0, false, 4096);
            return new Setup(c, rank, batch, seq);
        }

        public int tokens() {
            return batch * seq;
        }

        public LoraSpec lora() {
            return LoraSpec.of(LoraConfig.of(rank, 2.0 * rank, 0.0, new TargetModules.AllLinear()), config);
        }
    }

    private final Setup setup;
    private final Backend be;
    private final Decoder decoder;
    private final LoraWeights lora;
    private final AdamW adamW;
    private final int[] ids;
    private final int[] targets;

    public DemoModel(Setup setup, Backend be, long seed) {
        this.setup = setup;
        this.be = be;
        DecoderConfig c = setup.config();
        Random rnd = new Random(seed);
        decoder = new Decoder(c, weights(c, be, rnd), be);
        lora = LoraWeights.init(setup.lora(), be, seed);
        decoder.setLora(lora);
        decoder.setTraining(true);
        adamW = new AdamW(be, lora.parameters(), AdamW.Settings.defaults());
        ids = new int[setup.tokens()];
        targets = new int[setup.tokens()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rnd.nextInt(c.vocab());
        }
        for (int i = 0; i < ids.length; i++) {
            // The next token of the same sequence; the last position of each sequence predicts nothing.
            targets[i] = (i + 1) % setup.seq() == 0 ? Backend.IGNORE_INDEX : ids[i + 1];
        }
    }

    private static DecoderWeights weights(DecoderConfig c, Backend be, Random rnd) {
        int h = c.hidden();
        double s = 1 / Math.sqrt(h);
        double sDown = 1 / Math.sqrt(c.intermediate());
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new LayerWeights(ones(be, h), random(be, rnd, s, c.qWidth(), h), random(be, rnd, s, c.kvWidth(), h),
                    random(be, rnd, s, c.kvWidth(), h), random(be, rnd, s, h, c.qWidth()), ones(be, h),
                    random(be, rnd, s, c.intermediate(), h), random(be, rnd, s, c.intermediate(), h),
                    random(be, rnd, sDown, h, c.intermediate())));
        }
        return new DecoderWeights(random(be, rnd, 1, c.vocab(), h), layers, ones(be, h),
                random(be, rnd, s, c.vocab(), h));
    }

    private static Tensor random(Backend be, Random rnd, double scale, int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return be.upload(x, DType.F32, Shape.of(rows, cols));
    }

    private static Tensor ones(Backend be, int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return be.upload(x, DType.F32, Shape.of(n));
    }

    public Setup setup() {
        return setup;
    }

    /** One training step: zero the gradients, forward, loss and backward, AdamW. Returns the mean token loss. */
    public double step(int step) {
        lora.zeroGrad();
        decoder.setDropoutSeed(step);
        Activations a = decoder.forward(ids, setup.batch());
        int counted = setup.tokens() - setup.batch();
        double loss = decoder.backward(a, targets, 1f / counted);
        adamW.step(1e-4);
        return loss / counted;
    }

    @Override
    public void close() {
        adamW.close();
        decoder.close();
    }
}
