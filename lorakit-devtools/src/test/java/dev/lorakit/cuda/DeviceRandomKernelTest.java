package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.testkit.ParityChecks;
import org.junit.jupiter.api.Test;

/**
 * init.cu against {@link dev.lorakit.core.nn.RandomWeights}, bit for bit; needs a GPU (or the
 * simulator), skipped visibly without.
 */
class DeviceRandomKernelTest {

  @Test
  void theKernelDrawsWhatRandomWeightsDraws() {
    Gpu.assumeAvailable("the random weights kernel test");
    ParityChecks.Check check = DeviceRandom.check();
    try (CudaBackend gpu = new CudaBackend();
        CpuBackend cpu = new CpuBackend(1)) {
      assertEquals(0, check.error(cpu, gpu), check.name());
    }
  }
}
