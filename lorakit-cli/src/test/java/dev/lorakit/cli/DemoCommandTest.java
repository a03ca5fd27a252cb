package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo end to end in a small configuration: real training and real greedy generation, too short
 * to show significance, so only the shape of what it produces is checked.
 */
class DemoCommandTest {

  @Test
  void aSmallDemoWritesTheReportTheAdapterAndTheTableOfThreeTasks(@TempDir Path dir)
      throws IOException {
    Path out = dir.resolve("demo-out");
    CliRun r =
        CliRun.of(
            "demo", "--cases", "40", "--steps", "6", "--batch-size", "8", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    List<String> table = r.out().lines().toList();
    for (String task : List.of("regimen", "modality", "icd10")) {
      assertTrue(table.stream().anyMatch(l -> l.startsWith(task + " ")), r.out());
    }
    assertTrue(r.out().contains("Wilcoxon p"), r.out());
    for (String f :
        List.of(
            "report/report.md",
            "report/report.json",
            "report/metrics.png",
            "report/loss.png",
            "adapter/adapter_config.json",
            "adapter/adapter_model.safetensors",
            "adapter/training_log.jsonl",
            "base-model/config.json",
            "base-model/model.safetensors",
            "base-model/tokenizer.json",
            "test.jsonl")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    assertEquals(6, Files.readAllLines(out.resolve("adapter/training_log.jsonl")).size());
    assertTrue(r.out().contains(out.resolve("report").toString()), "says where the report went");
  }
}
