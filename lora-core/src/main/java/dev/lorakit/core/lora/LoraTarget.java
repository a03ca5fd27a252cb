package dev.lorakit.core.lora;

import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.LayerWeights;
import dev.lorakit.core.tensor.Tensor;
import java.util.Locale;

/** The seven linear layers of a decoder block that LoRA can wrap, with PEFT's module names. */
public enum LoraTarget {
  Q_PROJ("self_attn.q_proj"),
  K_PROJ("self_attn.k_proj"),
  V_PROJ("self_attn.v_proj"),
  O_PROJ("self_attn.o_proj"),
  GATE_PROJ("mlp.gate_proj"),
  UP_PROJ("mlp.up_proj"),
  DOWN_PROJ("mlp.down_proj");

  private final String modulePath;

  LoraTarget(String modulePath) {
    this.modulePath = modulePath;
  }

  /** The module's path inside a block, e.g. {@code self_attn.q_proj}. */
  public String modulePath() {
    return modulePath;
  }

  /** The short name PEFT's {@code target_modules} lists, e.g. {@code q_proj}. */
  public String shortName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The module's full name in block {@code layer}, e.g. {@code model.layers.3.self_attn.q_proj}.
   */
  public String moduleName(int layer) {
    return "model.layers." + layer + "." + modulePath;
  }

  /** Input features of this projection. */
  public int in(DecoderConfig c) {
    return switch (this) {
      case Q_PROJ, K_PROJ, V_PROJ, GATE_PROJ, UP_PROJ -> c.hidden();
      case O_PROJ -> c.qWidth();
      case DOWN_PROJ -> c.intermediate();
    };
  }

  /** Output features of this projection. */
  public int out(DecoderConfig c) {
    return switch (this) {
      case Q_PROJ -> c.qWidth();
      case K_PROJ, V_PROJ -> c.kvWidth();
      case O_PROJ, DOWN_PROJ -> c.hidden();
      case GATE_PROJ, UP_PROJ -> c.intermediate();
    };
  }

  /** The frozen base weight of this projection in {@code layer}. */
  public Tensor base(LayerWeights layer) {
    return switch (this) {
      case Q_PROJ -> layer.q();
      case K_PROJ -> layer.k();
      case V_PROJ -> layer.v();
      case O_PROJ -> layer.o();
      case GATE_PROJ -> layer.gate();
      case UP_PROJ -> layer.up();
      case DOWN_PROJ -> layer.down();
    };
  }
}
