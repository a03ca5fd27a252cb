package dev.lorakit.models;

/**
 * The nine weight tensors of one LLaMA/Mistral decoder block, by their Hugging Face module path, in
 * the order the block uses them. Linear weights are stored as {@code [out, in]}, as {@code
 * torch.nn.Linear} keeps them.
 */
public enum LayerWeight {
  /** RMSNorm before attention: [hidden]. */
  INPUT_LAYERNORM("input_layernorm"),
  /** Query projection: [heads * head_dim, hidden]. */
  Q_PROJ("self_attn.q_proj"),
  /** Key projection: [kv_heads * head_dim, hidden]. */
  K_PROJ("self_attn.k_proj"),
  /** Value projection: [kv_heads * head_dim, hidden]. */
  V_PROJ("self_attn.v_proj"),
  /** Attention output projection: [hidden, heads * head_dim]. */
  O_PROJ("self_attn.o_proj"),
  /** RMSNorm before the MLP: [hidden]. */
  POST_ATTENTION_LAYERNORM("post_attention_layernorm"),
  /** MLP gate (through SiLU): [intermediate, hidden]. */
  GATE_PROJ("mlp.gate_proj"),
  /** MLP up projection: [intermediate, hidden]. */
  UP_PROJ("mlp.up_proj"),
  /** MLP down projection: [hidden, intermediate]. */
  DOWN_PROJ("mlp.down_proj");

  private final String path;

  LayerWeight(String path) {
    this.path = path;
  }

  /**
   * The module's name in layer {@code layer}, e.g. {@code model.layers.3.self_attn.q_proj}: what
   * PEFT's {@code target_modules} match and what its adapter tensor names are built from.
   */
  public String module(int layer) {
    return "model.layers." + layer + "." + path;
  }

  /** The tensor's name in a checkpoint, e.g. {@code model.layers.3.self_attn.q_proj.weight}. */
  public String tensorName(int layer) {
    return module(layer) + ".weight";
  }

  /**
   * The last part of the module path, e.g. {@code q_proj}: the name {@code target_modules} lists.
   */
  public String shortName() {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  /** Whether this is a linear layer (LoRA can wrap it) rather than a norm. */
  public boolean isLinear() {
    return this != INPUT_LAYERNORM && this != POST_ATTENTION_LAYERNORM;
  }

  /** The shape {@code config} gives this tensor. */
  public long[] shape(ModelConfig config) {
    long h = config.hidden();
    long i = config.intermediate();
    return switch (this) {
      case INPUT_LAYERNORM, POST_ATTENTION_LAYERNORM -> new long[] {h};
      case Q_PROJ -> new long[] {config.qWidth(), h};
      case K_PROJ, V_PROJ -> new long[] {config.kvWidth(), h};
      case O_PROJ -> new long[] {h, config.qWidth()};
      case GATE_PROJ, UP_PROJ -> new long[] {i, h};
      case DOWN_PROJ -> new long[] {h, i};
    };
  }
}
