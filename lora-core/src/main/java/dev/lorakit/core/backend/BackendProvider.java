package dev.lorakit.core.backend;

import java.util.Optional;

/**
 * A way to compute, found at run time through {@link java.util.ServiceLoader}: the CPU backend is
 * always there; a GPU module plugs in by listing its provider in {@code
 * META-INF/services/dev.lorakit.core.backend.BackendProvider}, so lora-core never depends on it.
 */
public interface BackendProvider {

  /** The device name a user asks for, e.g. {@code cpu} or {@code cuda}. */
  String name();

  /**
   * Why this backend cannot run here (no driver, no GPU, ...), as one sentence; empty when it can.
   */
  Optional<String> unavailableReason();

  /** A new backend; call only when {@link #unavailableReason()} is empty. */
  Backend create();
}
