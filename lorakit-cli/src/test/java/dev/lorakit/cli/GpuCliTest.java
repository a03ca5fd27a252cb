package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.cuda.CudaBackend;
import dev.lorakit.cuda.CudaBackendProvider;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line on a GPU: {@code verify-reference --device cuda} in fp32 and bf16 on every
 * reference folder present, and the demo model's training curve on the GPU against the CPU's.
 * Skipped visibly without a GPU; without one, {@code --device cuda} is one sentence and exit status
 * 2.
 */
class GpuCliTest {

  private static boolean gpu() {
    return new CudaBackendProvider().availability().available();
  }

  private static void assumeGpu(String test) {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      String reason = "Skipping " + test + ": " + a.reason();
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  /**
   * Every reference folder: the testkit's and those of the shared fixtures ({@code
   * $LORAKIT_SHARED/fixtures/hf}, else {@code <project root>/../shared/fixtures/hf}), by folder
   * name, the testkit's first.
   */
  static Map<String, Path> referenceFolders() throws IOException {
    String root = System.getProperty("lorakit.project.root", ".");
    List<Path> parents = new ArrayList<>(List.of(Fixtures.hf("")));
    String shared = System.getenv("LORAKIT_SHARED");
    if (shared != null && !shared.isBlank()) parents.add(Path.of(shared, "fixtures", "hf"));
    parents.add(Path.of(root).resolve("../shared/fixtures/hf"));
    Map<String, Path> found = new TreeMap<>();
    for (Path parent : parents) {
      if (!Files.isDirectory(parent)) continue;
      try (Stream<Path> dirs = Files.list(parent)) {
        dirs.filter(d -> Files.isRegularFile(d.resolve("reference.safetensors")))
            .forEach(d -> found.putIfAbsent(d.getFileName().toString(), d));
      }
    }
    return found;
  }

  @Test
  void cudaWithoutAGpuIsOneSentence() {
    if (gpu()) {
      String reason = "Skipping the no-GPU message check: this machine has a usable GPU.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    Path dir = VerifyReferenceCommandTest.fixture("tiny-llama");
    for (String precision : List.of("fp32", "bf16")) {
      MainTest.Run r =
          MainTest.run(
              "verify-reference", dir.toString(), "--device", "cuda", "--precision", precision);
      assertEquals(2, r.status(), r.out() + r.err());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(
          r.err()
              .startsWith(
                  "lorakit verify-reference: --device cuda: the cuda device cannot be used: "),
          r.err());
      assertEquals("", r.out());
    }
  }

  @Test
  void verifyReferencePassesOnTheGpuInFp32AndBf16() throws IOException {
    assumeGpu("verify-reference --device cuda");
    Map<String, Path> folders = referenceFolders();
    assertTrue(
        folders.containsKey("tiny-llama") && folders.containsKey("tiny-llama-gqa"),
        folders.toString());
    List<String> failed = new ArrayList<>();
    for (var e : folders.entrySet()) {
      for (String precision : List.of("fp32", "bf16")) {
        MainTest.Run r =
            MainTest.run(
                "verify-reference",
                e.getValue().toString(),
                "--device",
                "cuda",
                "--precision",
                precision);
        System.out.println(
            "== verify-reference "
                + e.getKey()
                + " --device cuda --precision "
                + precision
                + " (exit "
                + r.status()
                + ")\n"
                + r.out()
                + r.err());
        if (r.status() != 0) failed.add(e.getKey() + " " + precision);
      }
    }
    assertTrue(failed.isEmpty(), "verify-reference --device cuda failed for " + failed);
  }

  /**
   * Ten steps carry the warm-up, the cosine decay and AdamW's moments of every earlier step, and
   * are half of {@link TrainingCurve#STEPS}: on machines without a GPU this runs on the simulator,
   * where a step is slow.
   */
  private static final int CURVE_STEPS = 10;

  @Test
  void trainingCurveOnTheGpuMatchesTheCpu(@TempDir Path dir) throws IOException {
    assumeGpu("the GPU training curve");
    Path model = TrainingCurve.model(dir.resolve("base"));
    double[] cpu;
    double[] gpu;
    double[] bf16;
    try (CpuBackend c = new CpuBackend()) {
      cpu = TrainingCurve.losses(model, c, Precision.FP32, CURVE_STEPS);
    }
    try (CudaBackend g = new CudaBackend()) {
      gpu = TrainingCurve.losses(model, g, Precision.FP32, CURVE_STEPS);
      bf16 = TrainingCurve.losses(model, g, Precision.BF16, CURVE_STEPS);
    }
    StringBuilder table =
        new StringBuilder("step  cpu fp32      gpu fp32      rel diff   gpu bf16\n");
    double worst = 0;
    for (int i = 0; i < cpu.length; i++) {
      double rel = Math.abs(gpu[i] - cpu[i]) / Math.abs(cpu[i]);
      worst = Math.max(worst, rel);
      table.append(
          String.format(
              Locale.ROOT, "%4d  %.8f  %.8f  %.2e  %.6f%n", i + 1, cpu[i], gpu[i], rel, bf16[i]));
    }
    System.out.print(table);
    assertTrue(
        worst <= 1e-4,
        "GPU fp32 loss curve differs from the CPU's by " + worst + " relative:\n" + table);
    assertTrue(
        Arrays.stream(bf16).allMatch(Double::isFinite) && bf16[bf16.length - 1] < bf16[0],
        "the bf16 run trains:\n" + table);
    assertTrue(
        Math.abs(bf16[0] - cpu[0]) <= 2e-2 * cpu[0], "bf16 step-1 loss within 2e-2:\n" + table);
  }
}
