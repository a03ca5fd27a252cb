package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.io.SafeTensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data users bring: unlabelled patients, cases labelled for one task, instruction and chat JSONL. */
class UserDataTest {

  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 11, SafeTensorsDtype.F32);
  }

  static Path lines(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n");
    return p;
  }

  static String[] train(Path data, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--data", data.toString(),
        "--out", out.toString(), "--max-steps", "2", "--batch-size", "2", "--grad-accum", "1", "--lr", "1e-2",
        "--lora-r", "2", "--device", "cpu", "--checkpoint-every", "0"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void unlabelledPatientsAreAnsweredByGenerateAndEvalWithoutScores() throws IOException {
    Path patients = lines("patients.jsonl", "{\"id\": \"p1\", \"diagnosis\": \"Prostate adenocarcinoma, Gleason 7.\"}",
        "{\"id\": \"p2\", \"diagnosis\": \"Left breast cancer after lumpectomy.\"}");
    CliRun g = CliRun.of("generate", "--model", model.toString(), "--case-file", patients.toString(), "--task",
        "modality", "--device", "cpu");
    assertEquals(0, g.exitCode(), g.err());
    assertEquals(List.of("p1", "p2"), g.out().lines().map(l -> l.replaceAll("^\\{\"id\":\"([^\"]+)\".*", "$1")).toList());

    Path out = dir.resolve("unlabelled-eval");
    CliRun e = CliRun.of("eval", "--model", model.toString(), "--data", patients.toString(), "--task", "all",
        "--out", out.toString(), "--device", "cpu");
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("patients.jsonl has no reference answers, so nothing is scored"), e.out());
    List<String> answers = Files.readAllLines(out.resolve("answers.jsonl"));
    assertEquals(6, answers.size(), "2 patients x 3 tasks");
    assertTrue(answers.get(0).startsWith("{\"id\":\"p1\",\"task\":\"regimen\",\"answer\":"), answers.get(0));
    assertFalse(Files.exists(out.resolve("scores.json")));

    CliRun compare = CliRun.of("eval", "--model", model.toString(), "--adapter", out.toString(), "--compare-base",
        "--data", patients.toString(), "--out", dir.resolve("nothing").toString(), "--device", "cpu");
    assertEquals(2, compare.exitCode());
    assertTrue(compare.err().contains("--compare-base scores answers against references, but " + patients
        + " holds none"), compare.err());
  }

  @Test
  void singleTaskTrainAndEvalNeedOnlyThatTasksAnswer() throws IOException {
    List<String> cases = new ArrayList<>();
    String[] modalities = {"photon", "proton", "electron", "brachytherapy"};
    for (int i = 0; i < 4; i++) {
      cases.add("{\"id\": \"c" + i + "\", \"diagnosis\": \"Case " + i + ".\", \"modality\": \"" + modalities[i] + "\"}");
    }
    Path data = lines("modality-only.jsonl", cases.toArray(String[]::new));
    Path adapter = dir.resolve("modality-adapter");
    CliRun t = CliRun.of(train(data, adapter, "--task", "modality"));
    assertEquals(0, t.exitCode(), t.err());
    Path out = dir.resolve("modality-eval");
    CliRun e = CliRun.of("eval", "--model", model.toString(), "--adapter", adapter.toString(), "--data",
        data.toString(), "--task", "modality", "--out", out.toString(), "--device", "cpu");
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(Files.readString(out.resolve("scores.json")).contains("\"modality\""));

    CliRun all = CliRun.of(train(data, dir.resolve("never"), "--task", "all"));
    assertEquals(2, all.exitCode());
    assertTrue(all.err().contains("modality-only.jsonl line 1: field 'regimen' is missing."), all.err());
  }
}
