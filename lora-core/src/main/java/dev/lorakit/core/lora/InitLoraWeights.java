package dev.lorakit.core.lora;

/** PEFT's {@code init_lora_weights} values that lorakit implements. */
public enum InitLoraWeights {
  /** {@code true}: A Kaiming-uniform, B zero, so the adapter starts as a no-op. */
  DEFAULT,
  /**
   * {@code false}: A and B both random (for tests; the adapter changes the model from the start).
   */
  RANDOM,
  /** {@code "gaussian"}: A normal with standard deviation 1/r, B zero. */
  GAUSSIAN
}
