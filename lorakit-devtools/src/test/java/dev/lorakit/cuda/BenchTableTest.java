package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark driver's table, ratios, units and torch-output parsing, without a GPU (no timing).
 */
class BenchTableTest {

  @Test
  void ratiosAndVerdictsFollowTheTarget() {
    BenchTable t = new BenchTable("bf16 GEMM", "TFLOP/s", "torch", 0.9);
    t.add("fwd a", 600, 650);
    t.add("fwd b", 500, 700);
    t.add("fwd c", 400, Double.NaN);
    String s = t.format();
    assertTrue(s.startsWith("bf16 GEMM\n"), s);
    assertTrue(s.contains("lorakit TFLOP/s"), s);
    assertTrue(
        s.lines().anyMatch(l -> l.startsWith("fwd a") && l.contains("0.92") && l.endsWith("ok")),
        s);
    assertTrue(
        s.lines().anyMatch(l -> l.startsWith("fwd b") && l.contains("0.71") && l.endsWith("BELOW")),
        s);
    assertTrue(s.lines().anyMatch(l -> l.startsWith("fwd c") && l.endsWith("no reference")), s);
    assertEquals(2, t.below());
  }

  @Test
  void unitsAreFlopAndByteRates() {
    assertEquals(
        2.0 * 2048 * 4096 * 4096 / 1e-3 / 1e12, BenchTable.tflops(2048, 4096, 4096, 1.0), 1e-9);
    assertEquals(2.0, BenchTable.gbPerSecond(2e6, 1.0), 1e-12);
  }

  @Test
  void torchLinesAreParsedAndNoiseIgnored() {
    Map<String, Double> m =
        BenchTable.parseTorchLines(
            List.of(
                "UserWarning: something",
                "{\"name\": \"fwd q/k/v/o 2048x4096x4096\", \"ms\": 0.2125}",
                "{\"name\": \"dW  down 4096x11008x2048\", " + "\"ms\": 1.5e-1}"));
    assertEquals(Map.of("fwd q/k/v/o 2048x4096x4096", 0.2125, "dW  down 4096x11008x2048", 0.15), m);
  }

  @Test
  void theCasesAreThe7bProductsAndTheirBackwards() {
    List<CudaBench.Gemm> g = CudaBench.gemms();
    assertEquals(9, g.size());
    assertTrue(
        g.contains(
            new CudaBench.Gemm("fwd gate/up 2048x11008x4096", 2048, 11008, 4096, false, true)));
    assertTrue(
        g.contains(
            new CudaBench.Gemm("dX  down 2048x11008x4096", 2048, 11008, 4096, false, false)));
    assertEquals(
        "dW  q/k/v/o 4096x4096x2048:4096:4096:2048:T:N",
        g.stream().filter(c -> c.transA()).findFirst().orElseThrow().torchSpec());
    assertTrue(
        CudaBench.TORCH_SCRIPT.contains("torch.matmul")
            && CudaBench.TORCH_SCRIPT.contains("bfloat16"));
  }
}
