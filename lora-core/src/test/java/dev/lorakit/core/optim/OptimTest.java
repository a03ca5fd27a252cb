package dev.lorakit.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class OptimTest {

  private static final CpuBackend BE = new CpuBackend(1);

  @AfterAll
  static void close() {
    BE.close();
  }

  private static Parameter param(String name, float[] value, float[] grad) {
    return new Parameter(
        name,
        BE.upload(value, DType.F32, Shape.of(value.length)),
        BE.upload(grad, DType.F32, Shape.of(grad.length)));
  }

  @Test
  void schedulesFollowHuggingFaceFormulas() {
    LrSchedule cos = LrSchedule.cosine(1e-3, 10, 110);
    assertEquals(0.0, cos.at(0));
    assertEquals(5e-4, cos.at(5), 1e-15);
    assertEquals(1e-3, cos.at(10), 1e-15);
    assertEquals(5e-4, cos.at(60), 1e-15);
    assertEquals(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), cos.at(35), 1e-15);
    assertEquals(0.0, cos.at(110), 1e-15);
    LrSchedule lin = LrSchedule.linear(2e-4, 4, 44);
    assertEquals(1e-4, lin.at(2), 1e-15);
    assertEquals(1e-4, lin.at(24), 1e-15);
    assertEquals(0.0, lin.at(50));
    LrSchedule cst = LrSchedule.named("constant", 3e-4, 3, 100);
    assertEquals(1e-4, cst.at(1), 1e-15);
    assertEquals(3e-4, cst.at(99));
    assertEquals(3e-4, LrSchedule.constant(3e-4, 0).at(0));
    assertThrows(LorakitInputException.class, () -> LrSchedule.named("exponential", 1, 0, 1));
  }

  @Test
  void clippingScalesToTheMaximumNormOnlyWhenAbove() {
    Parameter a = param("a", new float[] {0, 0}, new float[] {3, 0});
    Parameter b = param("b", new float[] {0}, new float[] {4});
    List<Parameter> ps = List.of(a, b);
    assertEquals(5.0, GradClip.clip(BE, ps, 10.0), 1e-12);
    assertArrayEquals(new float[] {3, 0}, BE.download(a.grad()));
    assertEquals(5.0, GradClip.clip(BE, ps, 1.0), 1e-12);
    assertEquals(1.0, GradClip.globalNorm(BE, ps), 1e-6);
    assertEquals(
        BE.sumOfSquares(a.grad()) + BE.sumOfSquares(b.grad()),
        BE.sumOfSquares(List.of(a.grad(), b.grad())));
    assertEquals(0.0, BE.sumOfSquares(List.of()));
    assertArrayEquals(new float[] {0.8f}, BE.download(b.grad()), 1e-6f);
  }

  @Test
  void adamWCountsStepsAndDecaysEvenWithZeroGradient() {
    Parameter p = param("w", new float[] {1f, -2f}, new float[] {0f, 0f});
    try (AdamW opt =
        new AdamW(BE, List.of(p), AdamW.Settings.builder().weightDecay(0.01).build())) {
      opt.step(0.1);
      opt.step(0.1);
      assertEquals(2, opt.stepCount());
      float decay = (float) ((1 - 0.1 * 0.01) * (1 - 0.1 * 0.01));
      assertArrayEquals(new float[] {decay, -2 * decay}, BE.download(p.value()), 1e-6f);
      assertEquals(0.0, BE.sumOfSquares(opt.moments().get("w").m()));
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new AdamW(BE, List.of(p, p), AdamW.Settings.defaults()));
    assertThrows(LorakitInputException.class, () -> new AdamW.Settings(1.0, 0.999, 1e-8, 0));
    assertThrows(LorakitInputException.class, () -> AdamW.Settings.builder().eps(-1).build());
  }

  @Test
  void adamWDefaultsAreTransformersTrainingArguments() {
    assertEquals(new AdamW.Settings(0.9, 0.999, 1e-8, 0.0), AdamW.Settings.defaults());
    assertEquals(
        new AdamW.Settings(0.9, 0.95, 1e-8, 0.1),
        AdamW.Settings.builder().beta2(0.95).weightDecay(0.1).build());
  }
}
