package dev.lorakit.core.nn;

import dev.lorakit.core.tensor.Tensor;

/**
 * The frozen weights of one decoder block, in Hugging Face's layout ({@code [out, in]} for
 * projections).
 *
 * @param attnNorm {@code input_layernorm} [hidden]
 * @param q {@code self_attn.q_proj} [heads*headDim, hidden]
 * @param k {@code self_attn.k_proj} [kvHeads*headDim, hidden]
 * @param v {@code self_attn.v_proj} [kvHeads*headDim, hidden]
 * @param o {@code self_attn.o_proj} [hidden, heads*headDim]
 * @param mlpNorm {@code post_attention_layernorm} [hidden]
 * @param gate {@code mlp.gate_proj} [intermediate, hidden]
 * @param up {@code mlp.up_proj} [intermediate, hidden]
 * @param down {@code mlp.down_proj} [hidden, intermediate]
 */
public record LayerWeights(
    Tensor attnNorm,
    Tensor q,
    Tensor k,
    Tensor v,
    Tensor o,
    Tensor mlpNorm,
    Tensor gate,
    Tensor up,
    Tensor down) {}
