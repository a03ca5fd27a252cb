package dev.lorakit.core.backend;

import dev.lorakit.testkit.BackendContractTest;
import dev.lorakit.testkit.Bf16EmulatedBackend;

/**
 * The backend contract on the bf16-emulating test backend, which stands in for a GPU's dtype rules
 * in the bf16 decoder's tests: it refuses what the CUDA backend refuses, in the same words.
 */
class Bf16EmulatedBackendContractTest extends BackendContractTest {

  @Override
  protected Backend createBackend() {
    return new Bf16EmulatedBackend(new CpuBackend(2));
  }
}
