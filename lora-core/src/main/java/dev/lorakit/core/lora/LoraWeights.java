package dev.lorakit.core.lora;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable LoRA matrices of a whole decoder, with their gradient buffers: for every layer and every target,
 * {@code A [r, in]} and {@code B [out, r]} (PEFT's layout), float32.
 */
public final class LoraWeights implements AutoCloseable {

    /**
     * One wrapped projection.
     *
     * @param layer  the block index
     * @param target the projection
     * @param a      {@code lora_A} [r, in]
     * @param b      {@code lora_B} [out, r]
     * @param gradA  gradient of {@code a}
     * @param gradB  gradient of {@code b}
     */
    public record Pair(int layer, LoraTarget target, Tensor a, Tensor b, Tensor gradA, Tensor gradB) {
    }

    private final DecoderConfig config;
    private final LoraSpec spec;
    private final Backend backend;
    private final Pair[][] pairs;

    private LoraWeights(DecoderConfig config, LoraSpec spec, Backend backend) {
        this.config = config;
        this.spec = spec;
        this.backend = backend;
        this.pairs = new Pair[config.layers()][LoraTarget.values().length];
        for (int l = 0; l < config.layers(); l++) {
            for (LoraTarget t : spec.targets()) {
                Shape as = Shape.of(spec.r(), t.in(config));
                Shape bs = Shape.of(t.out(config), spec.r());
                pairs[l][t.ordinal()] = new Pair(l, t, backend.zeros(DType.F32, as), backend.zeros(DType.F32, bs),
                        backend.zeros(DType.F32, as), backend.zeros(DType.F32, bs));
            }
        }
    }

    /** All-zero matrices (so the adapter is a no-op until initialised or loaded). */
    public static LoraWeights zeros(DecoderConfig config, LoraSpec spec, Backend backend) {
        return new LoraWeights(config, spec, backend);
    }

    /**
     * PEFT's default initialisation ({@code init_lora_weights=True}): A Kaiming-uniform with {@code a = sqrt(5)},
     * i.e. {@code U(-1/sqrt(in), 1/sqrt(in))}, B zero; the adapter starts as a no-op.
     */
    public static LoraWeights peftDefault(DecoderConfig config, LoraSpec spec, Backend backend, long seed) {
        LoraWeights w = new LoraWeights(config, spec, backend);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Pair p : w.pairs()) {
            double bound = 1 / Math.sqrt(p.target().in(config));
            float[] a = new float[(int) p.a().size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextDouble(-bound, bound);
            }
            backend.copy(backend.upload(a, DType.F32, p.a().shape()), p.a());
        }
        return w;
    }

    /** PEFT's {@code init_lora_weights="gaussian"}: A normal with standard deviation {@code 1/r}, B zero. */
    public static LoraWeights gaussian(DecoderConfig config, LoraSpec spec, Backend backend, long seed) {
        LoraWeights w = new LoraWeights(config, spec, backend);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Pair p : w.pairs()) {
            float[] a = new float[(int) p.a().size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (gaussian(rnd) / spec.r());
            }
            backend.copy(backend.upload(a, DType.F32, p.a().shape()), p.a());
        }
        return w;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box-Muller: SplittableRandom has no nextGaussian of its own that is stable across JDKs.
        double u = 1 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /**
     * Reads every A and B from PEFT's on-disk names
     * ({@code base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight}, ...), checking shapes.
     */
    public static LoraWeights load(DecoderConfig config, LoraSpec spec, Backend backend, TensorSource source)
            throws IOException {
        LoraWeights w = new LoraWeights(config, spec, backend);
        for (Pair p : w.pairs()) {
            for (String m : new String[] {"A", "B"}) {
                String name = p.target().peftName(p.layer(), m);
                Tensor dst = m.equals("A") ? p.a() : p.b();
                if (!source.contains(name)) {
                    throw new IOException(source.path() + " has no tensor \"" + name + "\".");
                }
                long[] shape = source.info(name).shape();
                long[] expected = Arrays.stream(dst.shape().dims()).asLongStream().toArray();
                if (!Arrays.equals(shape, expected)) {
                    throw new IOException(source.path() + ": tensor \"" + name + "\" has shape "
                            + Arrays.toString(shape) + " but r=" + spec.r() + " needs " + dst.shape() + ".");
                }
                Tensor tmp = backend.upload(source.floats(name), DType.F32, dst.shape());
                backend.copy(tmp, dst);
                tmp.close();
            }
        }
        return w;
    }

    /** The configuration. */
    public LoraSpec spec() {
        return spec;
    }

    /** The decoder shape these matrices fit. */
    public DecoderConfig config() {
        return config;
    }

    /** {@code alpha / r} (or {@code alpha / sqrt(r)}). */
    public float scale() {
        return (float) spec.scale();
    }

    /** The matrices of {@code target} in {@code layer}, or null when that projection is not wrapped. */
    public Pair get(int layer, LoraTarget target) {
        return pairs[layer][target.ordinal()];
    }

    /** Every wrapped projection, layer by layer, targets in {@link LoraTarget} order. */
    public List<Pair> pairs() {
        List<Pair> out = new ArrayList<>();
        for (Pair[] layer : pairs) {
            for (Pair p : layer) {
                if (p != null) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** The trainable tensors under PEFT's names (A then B for each pair), for the optimizer and for saving. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Pair p : pairs()) {
            out.add(new Parameter(p.target().peftName(p.layer(), "A"), p.a(), p.gradA()));
            out.add(new Parameter(p.target().peftName(p.layer(), "B"), p.b(), p.gradB()));
        }
        return out;
    }

    /** Sets every gradient to zero (before accumulating a new step). */
    public void zeroGrad() {
        for (Pair p : pairs()) {
            backend.fill(p.gradA(), 0f);
            backend.fill(p.gradB(), 0f);
        }
    }

    @Override
    public void close() {
        for (Pair p : pairs()) {
            p.a().close();
            p.b().close();
            p.gradA().close();
            p.gradB().close();
        }
    }
}
