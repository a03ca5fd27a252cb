package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.testkit.ParityChecks;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every op of CudaBackend against CpuBackend (see {@link ParityChecks}); needs a GPU, skipped
 * visibly without.
 */
class CudaBackendParityTest {

  @TestFactory
  Stream<DynamicTest> everyOpAgreesWithTheCpuBackend() {
    if (!new CudaBackendProvider().availability().available()) {
      // One skipped test in the report, rather than a factory that silently yields nothing.
      return Stream.of(
          DynamicTest.dynamicTest(
              "every op (needs a GPU)", () -> Gpu.assumeAvailable("the CUDA/CPU op parity tests")));
    }
    CudaBackend gpu = new CudaBackend();
    CpuBackend cpu = new CpuBackend(2);
    return ParityChecks.all().stream()
        .map(
            check ->
                DynamicTest.dynamicTest(
                    check.name(),
                    () -> {
                      double err = check.error(cpu, gpu);
                      System.out.printf(
                          "%-62s max error %.3e (tolerance %.1e)%n",
                          check.name(), err, check.tolerance());
                      assertTrue(
                          err <= check.tolerance(),
                          check.name() + ": error " + err + " > " + check.tolerance());
                    }))
        .onClose(
            () -> {
              gpu.close();
              cpu.close();
            });
  }
}
