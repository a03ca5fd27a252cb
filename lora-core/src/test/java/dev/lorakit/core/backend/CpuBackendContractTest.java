package dev.lorakit.core.backend;

import dev.lorakit.testkit.BackendContractTest;

/** The backend contract on the CPU backend. */
class CpuBackendContractTest extends BackendContractTest {

  @Override
  protected Backend createBackend() {
    return new CpuBackend(2);
  }
}
