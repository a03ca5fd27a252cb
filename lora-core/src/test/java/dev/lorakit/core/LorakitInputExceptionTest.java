package dev.lorakit.core;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.train.TrainingDivergedException;
import org.junit.jupiter.api.Test;

/**
 * What a user of lora-core can get wrong is a {@link LorakitInputException} whose sentence names
 * the culprit.
 */
class LorakitInputExceptionTest {

  private static void assertNames(LorakitInputException e, String... culprits) {
    for (String c : culprits) {
      assertTrue(e.getMessage().contains(c), "\"" + e.getMessage() + "\" should name " + c);
    }
    assertTrue(e.getMessage().endsWith("."), "one sentence: " + e.getMessage());
  }

  @Test
  void settingsOutOfRangeNameTheValue() {
    assertNames(
        assertThrows(
            LorakitInputException.class, () -> LrSchedule.named("exponential", 1e-3, 0, 10)),
        "\"exponential\"");
    assertNames(
        assertThrows(LorakitInputException.class, () -> new Sampler.Settings(-0.5, 0, 1, 0)),
        "-0.5");
  }

  @Test
  void aModelShapeLorakitCannotRunNamesTheFieldOrSize() {
    assertNames(
        assertThrows(
            LorakitInputException.class,
            () -> new DecoderConfig(32, 64, 128, 2, 4, 3, 16, 10000, 1e-6, 0, false, 64)),
        "kvHeads",
        "3");
    try (CpuBackend cpu = new CpuBackend()) {
      Shape tooBig = Shape.of(1 << 16, 1 << 16);
      assertNames(
          assertThrows(LorakitInputException.class, () -> cpu.zeros(DType.F32, tooBig)),
          tooBig.toString(),
          "2^31");
    }
  }

  @Test
  void divergenceIsTheSettingsProblemNotABug() {
    assertInstanceOf(
        LorakitInputException.class,
        new TrainingDivergedException(3, "The loss is NaN at step 3."));
  }
}
