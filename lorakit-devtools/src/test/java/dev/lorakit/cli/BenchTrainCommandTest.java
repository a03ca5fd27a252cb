package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.cuda.CudaBackendProvider;
import org.junit.jupiter.api.Test;

/**
 * bench-train's plan on the CPU: the published parameter counts, the PEFT trainable counts, FLOPs
 * and memory.
 */
class BenchTrainCommandTest {

  private static JsonNode plan(DevRun run) throws Exception {
    assertEquals(0, run.exitCode(), run.err());
    String line = run.out().lines().filter(l -> l.startsWith("PLAN ")).findFirst().orElseThrow();
    return new ObjectMapper().readTree(line.substring(5));
  }

  @Test
  void llamaPlanHasThePublishedCounts() throws Exception {
    DevRun run =
        DevRun.of(
            "bench-train",
            "--shape",
            "llama2-7b",
            "--targets",
            "all",
            "--lora-r",
            "16",
            "--batch",
            "4",
            "--seq",
            "512",
            "--dry-run");
    JsonNode p = plan(run);
    assertEquals(6_738_415_616L, p.get("params").asLong());
    // PEFT's count for r 16 on all seven projections of LLaMA-2-7B (peft_baseline on the H100).
    assertEquals(39_976_960L, p.get("trainable").asLong());
    assertEquals(4 * 6_738_415_616L, p.get("flops_per_token").asLong());
    double gib = p.get("expected_gib").asDouble();
    assertTrue(gib > 13.5 && gib < 70, "expected memory " + gib + " GiB");
    assertTrue(run.out().contains("expected memory"), run.out());
  }

  @Test
  void mistralAndQvPlans() throws Exception {
    JsonNode m = plan(DevRun.of("bench-train", "--shape", "mistral-7b", "--dry-run"));
    assertEquals(7_241_732_096L, m.get("params").asLong());
    assertEquals(41_943_040L, m.get("trainable").asLong());
    JsonNode qv =
        plan(
            DevRun.of("bench-train", "--targets", "qv", "--dry-run", "--activation-checkpointing"));
    assertEquals(8_388_608L, qv.get("trainable").asLong());
    assertEquals(6 * 6_738_415_616L, qv.get("flops_per_token").asLong());
    // Checkpointing keeps one layer's activations instead of 32.
    JsonNode full = plan(DevRun.of("bench-train", "--targets", "qv", "--dry-run"));
    assertTrue(qv.get("expected_gib").asDouble() < full.get("expected_gib").asDouble() - 2);
  }

  @Test
  void withoutAGpuItSaysSoInOneSentence() {
    if (new CudaBackendProvider().availability().available()) {
      return;
    }
    DevRun run = DevRun.of("bench-train", "--steps", "1");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("needs an NVIDIA GPU"), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }

  @Test
  void badArgumentsAreNamed() {
    DevRun run = DevRun.of("bench-train", "--shape", "gpt2", "--dry-run");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("--shape gpt2"), run.err());
  }
}
