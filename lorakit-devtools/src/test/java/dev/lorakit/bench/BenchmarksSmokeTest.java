package dev.lorakit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.backend.TimedBackend;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fast checks of what the benchmarks count and print; no timing is asserted. */
class BenchmarksSmokeTest {

  /** A model small enough to step in milliseconds. */
  private static final DemoModel.Setup TINY = DemoModel.Setup.of(16, 24, 2, 4, 50, 2, 2, 6);

  @Test
  void theMatmulFlopsOfAStepAreThoseStepFlopsCounts() {
    TimedBackend backend = new TimedBackend(new CpuBackend(2));
    try (backend;
        DemoModel model = new DemoModel(TINY, backend, 7)) {
      double loss = model.step();
      assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
      assertEquals(StepFlops.of(TINY).matmul(), backend.tallies().get("matmul").flops(), 0.0);
      double perProduct =
          backend.products().values().stream().mapToDouble(TimedBackend.Tally::flops).sum();
      assertEquals(StepFlops.of(TINY).matmul(), perProduct, 0.0);
    }
  }

  @Test
  void stepFlopsFollowTheShapes() {
    // hidden 16, intermediate 24, 2 layers, 4 heads of 4, vocab 50, r 2, 2 x 6 tokens.
    double t = 12;
    double linears = 4 * 16 * 16 + 3 * 16 * 24;
    // The lm_head runs on the 10 labelled positions, in one loss block of 64 rows.
    double base = 2 * t * 2 * linears + 2 * 64 * 16 * 50;
    double loraForward = 2 * t * 2 * (4 * 32 + 3 * 40) * 2;
    double attention = 2.0 * 2 * 4 * 4 * 6 * 7 * 2;
    StepFlops f = StepFlops.of(TINY);
    assertEquals(base, f.baseForward());
    assertEquals(base, f.baseBackward());
    assertEquals(loraForward, f.loraForward());
    assertEquals(2 * loraForward, f.loraBackward());
    assertEquals(attention, f.attnForward());
    assertEquals(2 * base + 3 * loraForward + 3.5 * attention, f.total(), 1e-9);
  }

  @Test
  void gemmShapesAreUniqueAndMultiply() {
    Set<String> names = new HashSet<>();
    for (GemmShape s : GemmShape.ALL) {
      assertTrue(names.add(s.name()), "duplicate " + s.name());
      assertEquals(2.0 * s.m() * s.n() * s.k(), s.flops());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GemmShape.named("nope"));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    try (CpuBackend backend = new CpuBackend(2)) {
      GemmShape s = new GemmShape("t", 3, 2, 4, GemmShape.Layout.ATB, "test");
      GemmShape.Operands ops = s.operands(backend, 3);
      ops.multiply(backend);
      float[] a = backend.download(ops.a());
      float[] b = backend.download(ops.b());
      float[] c = backend.download(ops.c());
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) {
          double sum = 0;
          for (int p = 0; p < 4; p++) {
            sum += (double) a[p * 3 + i] * b[p * 2 + j];
          }
          assertEquals(sum, c[i * 2 + j], 1e-5);
        }
      }
    }
  }

  @Test
  void theTableShowsTheRatioOfMedians() {
    GemmShape s = GemmShape.named("sq1024-ABT");
    String table =
        GemmVsNumpy.table(
            List.of(new GemmVsNumpy.Row(s, new Timing(0.01, 0.02, 5), new Timing(0.005, 0.01, 5))));
    String row = table.lines().filter(l -> l.startsWith("| sq1024-ABT")).findFirst().orElseThrow();
    assertTrue(row.endsWith("| 2.00 |"), row);
    assertTrue(row.contains(String.format(Locale.ROOT, "%.1f", s.flops() / 0.01 / 1e9)), row);
    String missing =
        GemmVsNumpy.table(List.of(new GemmVsNumpy.Row(s, null, new Timing(0.005, 0.01, 5))));
    assertTrue(
        missing.lines().anyMatch(l -> l.startsWith("| sq1024-ABT") && l.endsWith("| - |")),
        missing);
  }

  @Test
  void theNumpyScriptIsPackaged() throws Exception {
    assertTrue(GemmVsNumpy.resource("gemm_numpy.py").contains("np.matmul"));
  }

  @Test
  void theTorchSideIsPackagedAndItsAbsenceIsOneSentence() throws Exception {
    assertTrue(GemmVsNumpy.resource("train_step_torch.py").contains("peft.get_peft_model"));
    String missing = TrainStepVsTorch.torchMissing("/nonexistent/python3");
    assertTrue(
        missing.startsWith("/nonexistent/python3 could not be started (")
            && missing.endsWith(
                "so the PyTorch side is not measured and only lorakit's figure is printed."),
        missing);
    assertEquals(
        missing + "\nlorakit: 1682 tokens/s.",
        TrainStepVsTorch.summary(1682.4, null, null, missing)
            .replace(System.lineSeparator(), "\n"));
    assertEquals(
        "lorakit 1682 tokens/s, transformers + PEFT (torch 2) 827 tokens/s: ratio 2.03",
        TrainStepVsTorch.summary(1682.4, 827.0, "torch 2", null));
  }

  @Test
  void trainStepOptionsParseAndLeaveTheCallersOnesAlone() {
    TrainStep.Options o =
        TrainStep.Options.parse(
            new String[] {"--threads", "3", "--python", "py", "--seq", "64"}, List.of("--python"));
    assertEquals(3, o.threads());
    assertEquals(64, o.setup().seq());
    assertEquals(256, o.setup().config().hidden());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainStep.Options.parse(new String[] {"--python", "py"}, List.of()));
    assertTrue(e.getMessage().startsWith("Unknown option --python"), e.getMessage());
  }
}
