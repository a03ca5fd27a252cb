package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.cuda.CudaBackendProvider;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code bench-train --profile} at the tiny shape on the GPU (on the CUDA simulator without one);
 * skipped visibly without.
 */
class BenchTrainProfileTest {

  @Test
  void profilePrintsTheBenchLineAndTheTableOfOps() throws Exception {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      String reason = "Skipping bench-train --profile: " + a.reason();
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    DevRun run =
        DevRun.of(
            "bench-train",
            "--shape",
            "tiny",
            "--batch",
            "2",
            "--seq",
            "16",
            "--steps",
            "2",
            "--warmup",
            "1",
            "--lora-r",
            "4",
            "--profile");
    assertEquals(0, run.exitCode(), run.err());
    System.out.println(run.out());
    String line = run.out().lines().filter(l -> l.startsWith("BENCH ")).findFirst().orElseThrow();
    JsonNode bench = new ObjectMapper().readTree(line.substring(6));
    assertEquals("tiny", bench.get("model").asText());
    assertTrue(bench.get("tokens_per_s").asDouble() > 0, line);
    assertTrue(bench.has("gemm_bf16_256_tflops"), line);
    List<String> rows = run.out().lines().filter(l -> l.startsWith("| ")).toList();
    assertTrue(rows.getFirst().startsWith("| op | calls | total ms |"), run.out());
    for (String op :
        List.of(
            "matmul",
            "attention",
            "attentionBackward",
            "crossEntropy",
            "adamW",
            "(outside the ops)")) {
      assertTrue(
          rows.stream().anyMatch(r -> r.startsWith("| " + op + " |")), op + " in\n" + run.out());
    }
    // The op rows and the rest row share out the mean step: their shares add up to 100 %.
    double shares =
        rows.stream()
            .skip(1)
            .mapToDouble(r -> Double.parseDouble(r.split("\\|")[5].strip().replace("%", "")))
            .sum();
    assertEquals(100, shares, 0.1 * rows.size(), run.out());
    // The matmul row has a FLOP rate.
    String matmul = rows.stream().filter(r -> r.startsWith("| matmul |")).findFirst().orElseThrow();
    assertTrue(Double.parseDouble(matmul.split("\\|")[6].strip()) > 0, matmul);
  }
}
