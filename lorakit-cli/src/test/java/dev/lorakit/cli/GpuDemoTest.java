package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.cuda.CudaBackendProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo end to end on the GPU in a tiny configuration, and {@code --device auto} choosing the
 * GPU (on machines without a GPU the build runs these on the CUDA simulator). Skipped visibly
 * without a GPU.
 */
class GpuDemoTest {

  private static void assumeGpu(String test) {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      String reason = "Skipping " + test + ": " + a.reason();
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  private static void assertDemoRan(CliRun r, Path out) throws IOException {
    assertEquals(0, r.exitCode(), r.err());
    for (String task : List.of("regimen", "modality", "icd10")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(task + " ")), r.out());
    }
    for (String f :
        List.of(
            "report/report.md",
            "adapter/adapter_model.safetensors",
            "adapter/training_log.jsonl")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    assertEquals(3, Files.readAllLines(out.resolve("adapter/training_log.jsonl")).size());
  }

  @Test
  void theDemoRunsOnTheGpu(@TempDir Path dir) throws IOException {
    assumeGpu("lorakit demo --device cuda");
    Path out = dir.resolve("demo-out");
    CliRun r =
        CliRun.of(
            "demo",
            "--device",
            "cuda",
            "--steps",
            "3",
            "--cases",
            "20",
            "--batch-size",
            "4",
            "--out",
            out.toString());
    System.out.println(r.out() + r.err());
    assertDemoRan(r, out);
  }

  @Test
  void autoChoosesTheGpu() {
    assumeGpu("--device auto");
    // bf16 runs only on a GPU backend: a fall back to the CPU would end in exit status 2.
    CliRun r =
        CliRun.of(
            "verify-reference",
            VerifyReferenceCommandTest.fixture("tiny-llama").toString(),
            "--device",
            "auto",
            "--precision",
            "bf16");
    System.out.println(r.out() + r.err());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertFalse(r.err().contains("Using the CPU"), r.err());
    assertTrue(r.out().contains("precision bf16 on cuda ("), r.out());
  }
}
