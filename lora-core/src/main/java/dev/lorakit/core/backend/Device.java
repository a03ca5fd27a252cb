package dev.lorakit.core.backend;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Where a model computes: the CPU, an NVIDIA GPU, or the GPU when one can be used and otherwise the
 * CPU.
 */
public enum Device {
  /** A GPU backend when one is installed and usable, else the CPU (saying why in one line). */
  AUTO,
  /** The CPU backend (Vector API, all cores). */
  CPU,
  /** The CUDA backend; {@code lora-cuda} must be on the class path and a GPU usable. */
  CUDA;

  /**
   * A new backend for this device, which the caller closes ({@link Backends#select}); {@code log}
   * receives the line that says what {@link #AUTO} fell back to.
   *
   * @throws IllegalArgumentException naming the device and why it cannot be used
   */
  public Backend open(Consumer<String> log) {
    return Backends.select(name().toLowerCase(Locale.ROOT), log);
  }
}
