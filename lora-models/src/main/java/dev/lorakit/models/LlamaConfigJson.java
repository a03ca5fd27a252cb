package dev.lorakit.models;

import java.util.Locale;

/**
 * The {@code config.json} of a LLaMA-architecture model that lorakit writes itself, in
 * transformers' spelling.
 */
public final class LlamaConfigJson {

  private LlamaConfigJson() {}

  /**
   * rope_theta 10000, RMSNorm eps 1e-5, SiLU, no biases, untied embeddings, BOS 1 and EOS 2 (the
   * Mistral tokenizer's).
   */
  public static String of(
      int vocab,
      int hidden,
      int intermediate,
      int layers,
      int heads,
      int kvHeads,
      int maxPositions,
      String torchDtype) {
    return String.format(
        Locale.ROOT,
        """
        {
          "architectures": ["LlamaForCausalLM"],
          "model_type": "llama",
          "vocab_size": %d,
          "hidden_size": %d,
          "intermediate_size": %d,
          "num_hidden_layers": %d,
          "num_attention_heads": %d,
          "num_key_value_heads": %d,
          "max_position_embeddings": %d,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "hidden_act": "silu",
          "attention_bias": false,
          "mlp_bias": false,
          "tie_word_embeddings": false,
          "initializer_range": 0.02,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "torch_dtype": "%s"
        }
        """,
        vocab,
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        maxPositions,
        torchDtype);
  }
}
