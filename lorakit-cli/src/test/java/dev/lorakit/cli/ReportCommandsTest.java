package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.synth.SyntheticCases;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval's reports and answers as a reader uses them: baseline, provenance, warnings, answers that
 * score reads.
 */
class ReportCommandsTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;
  static Path adapter;

  @BeforeAll
  static void tinyModelCasesAndAdapter() throws IOException {
    model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 11, SafeTensorsDtype.F32);
    data = dir.resolve("cases.jsonl");
    CaseFile.write(data, new SyntheticCases(5, 0).generate(12));
    adapter = dir.resolve("adapter");
    CliRun t =
        CliRun.of(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--task",
            "modality",
            "--out",
            adapter.toString(),
            "--max-steps",
            "2",
            "--batch-size",
            "2",
            "--grad-accum",
            "1",
            "--lora-r",
            "2",
            "--device",
            "cpu",
            "--checkpoint-every",
            "0",
            "--seed",
            "4");
    assertEquals(0, t.exitCode(), t.err());
  }

  @Test
  void compareModeNamesWhereEverythingCameFromShowsTheBaselineAndKeepsBothModelsAnswers()
      throws IOException {
    Path out = dir.resolve("report");
    CliRun r =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--compare-base",
            "--data",
            data.toString(),
            "--task",
            "modality",
            "--out",
            out.toString(),
            "--device",
            "cpu",
            "--seed",
            "8");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("modality  baseline: '")), r.out());
    String md = Files.readString(out.resolve("report.md"));
    for (String row :
        List.of(
            "| base model | " + model.toAbsolutePath().normalize() + " |",
            "| adapter | " + adapter.toAbsolutePath().normalize() + " |",
            "| LoRA | r 2, alpha 32, dropout 0.05, rsLoRA false, targets [\"q_proj\"",
            "| test data | " + data.toAbsolutePath().normalize() + " (12 lines, sha256 ",
            "| prompt templates | built-in |",
            "| answers | greedy, at most modality 4 tokens |",
            "| seed | 8 |",
            "| lorakit | ",
            "| date | 20")) {
      assertTrue(md.contains(row), row + " in\n" + md);
    }
    assertTrue(md.contains("## Baseline: one answer for every case"), md);

    List<String> answers = Files.readAllLines(out.resolve("answers.jsonl"));
    assertEquals(24, answers.size(), "12 cases x 2 models");
    assertTrue(
        answers.get(0).contains("\"model\":\"base\"")
            && answers.get(12).contains("\"model\":\"LoRA\""));
    CliRun score =
        CliRun.of(
            "score",
            "--task",
            "modality",
            "--references",
            data.toString(),
            "--predictions",
            out.resolve("answers.jsonl").toString(),
            "--answers-of",
            "LoRA",
            "--json");
    assertEquals(0, score.exitCode(), score.err());
    JsonNode s = new ObjectMapper().readTree(score.out());
    double reported =
        new ObjectMapper()
            .readTree(out.resolve("report.json").toFile())
            .get("tasks")
            .get(0)
            .get("tuned")
            .get("mean")
            .asDouble();
    assertEquals(
        reported, s.get("accuracy").asDouble(), 1e-12, "score reads the same answers eval scored");
    CliRun which =
        CliRun.of(
            "score",
            "--task",
            "modality",
            "--references",
            data.toString(),
            "--predictions",
            out.resolve("answers.jsonl").toString());
    assertEquals(2, which.exitCode());
    assertTrue(
        which
            .err()
            .contains("holds the modality answers of base and LoRA; choose one with --answers-of."),
        which.err());
  }

  @Test
  void oneModelsScoresComeWithTheirBaselineAndAWarningForFewCasesAndScoreReadsTheirAnswers()
      throws IOException {
    Path few = dir.resolve("few.jsonl");
    Files.write(few, Files.readAllLines(data).subList(0, 6));
    Path out = dir.resolve("single");
    CliRun r =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--data",
            few.toString(),
            "--task",
            "modality",
            "--out",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.out()
            .contains(
                "Warning: modality has only 6 cases (fewer than 10): its interval is degenerate or "
                    + "nearly so, and its p-value says little."),
        r.out());
    JsonNode scores = new ObjectMapper().readTree(out.resolve("scores.json").toFile());
    assertTrue(scores.get("modality").get("baseline").get("answer").isTextual(), scores.toString());
    CliRun score =
        CliRun.of(
            "score",
            "--task",
            "modality",
            "--references",
            few.toString(),
            "--predictions",
            out.resolve("answers.jsonl").toString(),
            "--json");
    assertEquals(0, score.exitCode(), score.err());
    assertEquals(
        scores.get("modality").get("accuracy").asDouble(),
        new ObjectMapper().readTree(score.out()).get("accuracy").asDouble(),
        1e-12);
  }
}
