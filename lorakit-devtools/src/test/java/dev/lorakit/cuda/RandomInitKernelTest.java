package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.testkit.ParityChecks;
import org.junit.jupiter.api.Test;

/**
 * init.cu against its Java mirror {@link RandomInit}; needs a GPU (or the simulator), skipped
 * visibly without.
 */
class RandomInitKernelTest {

  @Test
  void theKernelDrawsWhatTheMirrorDraws() {
    Gpu.assumeAvailable("the random init kernel test");
    ParityChecks.Check check = RandomInit.check();
    try (CudaBackend gpu = new CudaBackend();
        CpuBackend cpu = new CpuBackend(1)) {
      double err = check.error(cpu, gpu);
      assertTrue(err <= check.tolerance(), check.name() + ": error " + err);
    }
  }
}
