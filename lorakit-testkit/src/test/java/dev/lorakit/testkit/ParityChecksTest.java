package dev.lorakit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The GPU parity checks themselves, run here with the CPU backend on both sides: every check runs
 * without error (shapes and arguments are valid), agrees with a second CPU backend with another
 * thread count to rounding, and the list covers every op.
 */
class ParityChecksTest {

  @Test
  void everyCheckRunsOnTheCpuAndAgreesAcrossThreadCounts() {
    List<ParityChecks.Check> checks = ParityChecks.all();
    assertEquals(
        checks.size(),
        new HashSet<>(checks.stream().map(ParityChecks.Check::name).toList()).size(),
        "check names are unique");
    try (CpuBackend one = new CpuBackend(1);
        CpuBackend two = new CpuBackend(2)) {
      for (ParityChecks.Check c : checks) {
        // Not exactly 0: the CPU backend's Vector API reductions change order when the JIT compiles
        // them
        // (FloatVector.reduceLanes(ADD) is not order-stable across tiers), so repeats differ in the
        // last bits.
        assertTrue(c.error(one, two) <= 1e-6, c.name() + " (1 thread vs 2 threads)");
      }
    }
    for (String op :
        List.of(
            "upload/download",
            "copy ",
            "copyAt",
            "fill",
            "add",
            "addScaled",
            "scale",
            "sumOfSquares",
            "allFinite",
            "dropout",
            "matmul",
            "embedding",
            "rmsNorm",
            "rmsNormBackward",
            "rope",
            "attention",
            "attentionBackward",
            "swiglu",
            "crossEntropy",
            "adamW")) {
      assertTrue(checks.stream().anyMatch(c -> c.name().contains(op)), "no check for " + op);
    }
  }

  @Test
  void theErrorIsScaledAndNaNAware() {
    try (CpuBackend backend = new CpuBackend(1)) {
      float[] base = {100f, 1f, Float.NaN};
      var same = new ParityChecks.Check("x", 0, b -> base.clone());
      assertEquals(0.0, same.error(backend, backend));
      int[] calls = {0};
      var off =
          new ParityChecks.Check(
              "y", 0, b -> calls[0]++ == 0 ? base.clone() : new float[] {99f, 1f, Float.NaN});
      assertEquals(0.01, off.error(backend, backend), 1e-9);
    }
  }
}
