package dev.lorakit.cuda;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.testkit.BackendContractTest;

/**
 * The backend contract on the CUDA backend (on the CUDA simulator without a GPU); skipped visibly
 * without either.
 */
class CudaBackendContractTest extends BackendContractTest {

  @Override
  protected Backend createBackend() {
    Gpu.assumeAvailable("the CUDA backend contract test");
    return new CudaBackend();
  }
}
