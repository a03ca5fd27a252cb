package dev.lorakit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.backend.TimedBackend;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    String script = GemmVsNumpy.resource("train_step_torch.py");
    assertTrue(
        script.contains("peft.get_peft_model") && script.contains("class PlainLlama"), "script");
    String problem = TrainStepVsTorch.torchProblem("/nonexistent/python3");
    assertTrue(problem.startsWith("/nonexistent/python3 could not be started ("), problem);
    String missing =
        TrainStepVsTorch.missing(
            List.of(
                problem,
                TrainStepVsTorch.importProblem(
                    "/usr/bin/python3",
                    "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n"
                        + "ModuleNotFoundError: No module named 'torch'\n")));
    assertEquals(
        problem
            + "; torch is not installed for /usr/bin/python3, so the PyTorch side is not measured"
            + " and only lorakit's figure is printed.",
        missing);
    assertEquals(
        "torch does not import for py (ImportError: numpy.core.multiarray failed to import)",
        TrainStepVsTorch.importProblem(
            "py", "RuntimeError: x\nImportError: numpy.core.multiarray failed to import\n"));
    assertEquals(
        missing + "\nlorakit: 1682 tokens/s.",
        TrainStepVsTorch.summary(1682.4, null, null, missing)
            .replace(System.lineSeparator(), "\n"));
  }

  @Test
  void theTorchLineNamesWhatRanAndTheSummaryItsRatio() {
    TrainStepVsTorch.Reference r =
        TrainStepVsTorch.parseReference(
            "a warning first\n2.5 2.25 4.0 plain_PyTorch_1.13.1_(transformers_not_installed)\n");
    assertEquals(2.5, r.medianSeconds());
    assertEquals(2.25, r.bestSeconds());
    assertEquals(4.0, r.cpuSeconds());
    assertEquals("plain PyTorch 1.13.1 (transformers not installed)", r.name());
    assertEquals(
        "lorakit 1682 tokens/s, plain PyTorch 1.13.1 (transformers not installed) 819 tokens/s:"
            + " ratio 2.05",
        TrainStepVsTorch.summary(1682.4, 2048 / r.medianSeconds(), r.name(), null));
    assertEquals(
        "transformers 5.18 + PEFT 0.21 on torch 2.13",
        TrainStepVsTorch.parseReference("0.1 0.1 0.2 transformers_5.18_+_PEFT_0.21_on_torch_2.13")
            .name());
    for (String bad :
        List.of("", "0.1 0.1 0.1", "0.1 fast slow torch", "0.1 0.1 0.1 a b", "0.1 0.1 torch")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> TrainStepVsTorch.parseReference(bad));
      assertTrue(e.getMessage().startsWith("The torch step printed no line"), e.getMessage());
    }
  }

  @Test
  void theReferencesGetTheThreadCountAndNoForcedOpenBlasCore() {
    Map<String, String> env = new HashMap<>(Map.of("OPENBLAS_CORETYPE", "Haswell", "PATH", "/x"));
    env.put("OPENBLAS_L2_SIZE", "512");
    env.put("OMP_NUM_THREADS", "16");
    Environment.forReference(env, 2);
    assertEquals(
        Map.of(
            "PATH", "/x",
            "OMP_NUM_THREADS", "2",
            "OPENBLAS_NUM_THREADS", "2",
            "MKL_NUM_THREADS", "2"),
        env);
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
