package dev.lorakit.core.backend;

import java.util.Optional;

/** The CPU backend, available everywhere. */
public final class CpuBackendProvider implements BackendProvider {

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public Optional<String> unavailableReason() {
    return Optional.empty();
  }

  @Override
  public Backend create() {
    return new CpuBackend();
  }
}
