package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.Precision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training-curve harness the GPU comparison uses, on the CPU: deterministic, and the loss
 * falls.
 */
class TrainingCurveTest {

  @Test
  void theCurveIsReproducibleAndFalls(@TempDir Path dir) throws IOException {
    Path model = TrainingCurve.model(dir.resolve("base"));
    double[] first;
    double[] second;
    try (CpuBackend a = new CpuBackend(2);
        CpuBackend b = new CpuBackend(1)) {
      first = TrainingCurve.losses(model, a, Precision.FP32, TrainingCurve.STEPS);
      second = TrainingCurve.losses(model, b, Precision.FP32, TrainingCurve.STEPS);
    }
    assertArrayEquals(first, second, "the same run on 1 and 2 threads");
    assertTrue(
        first[TrainingCurve.STEPS - 1] < 0.9 * first[0],
        "the loss falls: " + Arrays.toString(first));
  }
}
