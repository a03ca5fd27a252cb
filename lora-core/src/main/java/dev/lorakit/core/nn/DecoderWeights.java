package dev.lorakit.core.nn;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frozen base weights of a decoder, on a backend.
 *
 * @param embed  {@code model.embed_tokens.weight} [vocab, hidden]
 * @param layers the blocks
 * @param norm   {@code model.norm.weight} [hidden]
 * @param lmHead {@code lm_head.weight} [vocab, hidden]; the same tensor as {@code embed} when tied
 */
public record DecoderWeights(Tensor embed, List<LayerWeights> layers, Tensor norm, Tensor lmHead) {

    public DecoderWeights {
        layers = List.copyOf(layers);
    }

    /**
     * Reads Hugging Face's LLaMA/Mistral tensor names ({@code model.layers.{i}.self_attn.q_proj.weight}, ...) from
     * {@code source} and uploads them as F32, checking every shape against {@code config}.
     */
    public static DecoderWeights load(DecoderConfig config, Backend backend, TensorSource source) throws IOException {
        Loader l = new Loader(backend, source);
        int h = config.hidden();
        Tensor embed = l.get("model.embed_tokens.weight", config.vocab(), h);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(
                    l.get(p + "input_layernorm.weight", h),
                    l.get(p + "self_attn.q_proj.weight", config.qWidth(), h),
                    l.get(p + "self_attn.k_proj.weight", config.kvWidth(), h),
                    l.get(p + "self_attn.v_proj.weight", config.kvWidth(), h),
                    l.get(p + "self_attn.o_proj.weight", h, config.qWidth()),
                    l.get(p + "post_attention_layernorm.weight", h),
                    l.get(p + "mlp.gate_proj.weight", config.intermediate(), h),
                    l.get(p + "mlp.up_proj.weight", config.intermediate(), h),
                    l.get(p + "mlp.down_proj.weight", h, config.intermediate())));
        }
        Tensor norm = l.get("model.norm.weight", h);
        Tensor lmHead = config.tiedEmbeddings() && !source.contains("lm_head.weight") ? embed
                : l.get("lm_head.weight", config.vocab(), h);
        return new DecoderWeights(embed, layers, norm, lmHead);
    }

    private record Loader(Backend backend, TensorSource source) {
        Tensor get(String name, int... dims) throws IOException {
            if (!source.contains(name)) {
                throw new IOException(source.path() + " has no tensor \"" + name + "\".");
            }
            TensorInfo info = source.info(name);
            long[] expected = Arrays.stream(dims).asLongStream().toArray();
            if (!Arrays.equals(info.shape(), expected)) {
                throw new IOException(source.path() + ": tensor \"" + name + "\" has shape "
                        + Arrays.toString(info.shape()) + " but the config needs " + Arrays.toString(dims) + ".");
            }
            return backend.upload(source.floats(name), DType.F32, Shape.of(dims));
        }
    }

    /** Gives every tensor back to its backend. */
    public void close() {
        embed.close();
        norm.close();
        lmHead.close();
        for (LayerWeights w : layers) {
            for (Tensor t : List.of(w.attnNorm(), w.q(), w.k(), w.v(), w.o(), w.mlpNorm(), w.gate(), w.up(), w.down())) {
                t.close();
            }
        }
    }
}
