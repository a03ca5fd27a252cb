package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.report.TrainingLog;
import dev.lorakit.eval.report.TrainingPoint;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * train's validation while training: the held-out loss in the log and the progress, the best
 * adapter, early stopping.
 */
class TrainValidationTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static TinyRun run;
  static Path model;
  static Path data;
  static List<Case> cases;

  @BeforeAll
  static void files() throws IOException {
    cases = new SyntheticCases(5, 0).generate(12);
    run = TinyRun.write(dir, 11, cases);
    model = run.model();
    data = run.data();
  }

  /**
   * 12 steps of one batch of 2; the learning rate overshoots after a few steps, so the held-out
   * loss turns up.
   */
  static String[] train(Path out, String... more) {
    return train(out, 12, more);
  }

  static String[] train(Path out, int steps, String... more) {
    return run.train(
        out,
        List.of(
            "--max-steps",
            Integer.toString(steps),
            "--grad-accum",
            "1",
            "--lr",
            "2e-1",
            "--lora-r",
            "4",
            "--checkpoint-every",
            "0"),
        more);
  }

  /**
   * Runs train with a stop request raised at the end of the {@code stopAt}-th step this run does.
   */
  static int trainStoppingAfter(int stopAt, String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    TrainCommand cmd = cl.getSubcommands().get("train").getCommand();
    cmd.stop =
        new StopSignal() {
          int steps;

          @Override
          boolean requested() {
            return ++steps >= stopAt;
          }
        };
    return cl.execute(args);
  }

  static Map<String, float[]> tensors(Path adapter) throws IOException {
    return ModelCommandsTest.tensors(adapter);
  }

  static List<JsonNode> log(Path out) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String l : Files.readAllLines(out.resolve(FineTune.LOG_FILE))) lines.add(JSON.readTree(l));
    return lines;
  }

  /** The log without the wall-clock field. */
  static List<String> logWithoutTimes(Path out) throws IOException {
    return log(out).stream()
        .map(
            n -> {
              ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove("elapsed");
              return n.toString();
            })
        .toList();
  }

  @Test
  void aHeldOutFractionIsMeasuredEveryNStepsAndAtTheEndLoggedShownAndItsBestAdapterKept()
      throws IOException {
    Path out = dir.resolve("fraction");
    CliRun r = CliRun.of(train(out, 10, "--val-fraction", "0.25", "--eval-every", "4"));
    assertEquals(0, r.exitCode(), r.err());
    // 3 of the 12 cases held out, whole: 9 cases of one task each are trained on.
    assertTrue(r.out().contains("on 9 examples"), r.out());
    List<TrainingPoint> val = TrainingLog.readValidation(out.resolve(FineTune.LOG_FILE));
    assertEquals(
        List.of(4L, 8L, 10L),
        val.stream().map(TrainingPoint::step).toList(),
        "every 4 steps and the last");
    assertEquals(
        10,
        TrainingLog.read(out.resolve(FineTune.LOG_FILE)).size(),
        "validation lines are not steps");
    assertTrue(
        val.stream().allMatch(p -> p.loss() > 0 && Double.isFinite(p.loss())), val.toString());
    TrainingPoint best =
        val.stream().min((a, b) -> Double.compare(a.loss(), b.loss())).orElseThrow();
    assertTrue(
        r.out()
            .contains(
                String.format(
                    Locale.ROOT,
                    "Lowest validation loss %.4f at step %d",
                    best.loss(),
                    best.step())),
        r.out());
    assertTrue(
        r.err()
            .contains(
                String.format(
                    Locale.ROOT, "val loss %.4f (best %.4f)", val.getLast().loss(), best.loss())),
        r.err());
    assertTrue(Files.isRegularFile(out.resolve("checkpoints/best/adapter_model.safetensors")));
    // loss.png is the report's chart of both series, the validation drawn.
    Path both = dir.resolve("both.png");
    Path trainingOnly = dir.resolve("training-only.png");
    dev.lorakit.eval.report.Charts.lossCurve(
        both, TrainingLog.read(out.resolve(FineTune.LOG_FILE)), val);
    dev.lorakit.eval.report.Charts.lossCurve(
        trainingOnly, TrainingLog.read(out.resolve(FineTune.LOG_FILE)));
    assertArrayEquals(
        Files.readAllBytes(both), Files.readAllBytes(out.resolve(FineTune.CHART_FILE)));
    assertFalse(Arrays.equals(Files.readAllBytes(trainingOnly), Files.readAllBytes(both)));
    JsonNode args = TrainingArgs.read(out.resolve(TrainingArgs.FILE));
    assertEquals(0.25, args.path("val_fraction").asDouble());
    assertEquals(4, args.path("eval_every").asInt());
    assertEquals(0, args.path("early_stopping_patience").asInt());
    assertFalse(args.has("eval_data"));
  }

  @Test
  void evalDataMayBeInAnotherFormatThanTheTrainingData() throws IOException {
    Path eval = dir.resolve("held-out-pairs.jsonl");
    StringBuilder pairs = new StringBuilder();
    for (Case c : cases.subList(0, 3)) {
      pairs
          .append(
              JSON.createObjectNode()
                  .put("prompt", "Modality for: " + c.diagnosis())
                  .put("completion", c.modality().toString()))
          .append('\n');
    }
    Files.writeString(eval, pairs);
    Path out = dir.resolve("evaldata");
    CliRun r = CliRun.of(train(out, 3, "--eval-data", eval.toString(), "--eval-every", "2"));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("on 12 examples"), "all of --data is trained on: " + r.out());
    assertEquals(
        List.of(2L, 3L),
        TrainingLog.readValidation(out.resolve(FineTune.LOG_FILE)).stream()
            .map(TrainingPoint::step)
            .toList());
    JsonNode args = TrainingArgs.read(out.resolve(TrainingArgs.FILE));
    assertEquals(TrainingArgs.sha256(eval), args.path("eval_data_sha256").asText());
    assertFalse(args.has("val_fraction"));
  }

  @Test
  void earlyStoppingEndsAFinishedRunAndAStoppedOneResumesToTheSameLogAdapterAndBest()
      throws IOException {
    String[] validation = {
      "--val-fraction", "0.25", "--eval-every", "1", "--early-stopping-patience", "3"
    };
    Path whole = dir.resolve("whole");
    CliRun r = CliRun.of(train(whole, validation));
    assertEquals(0, r.exitCode(), r.err());
    List<TrainingPoint> val = TrainingLog.readValidation(whole.resolve(FineTune.LOG_FILE));
    int end = (int) val.getLast().step();
    assertTrue(end < 12, "the held-out loss rose for 3 measurements before the last step: " + val);
    TrainingPoint best =
        val.stream().min((a, b) -> Double.compare(a.loss(), b.loss())).orElseThrow();
    assertEquals(
        end - 3, best.step(), "it stops at the third measurement without a new lowest: " + val);
    assertTrue(
        r.out()
                .contains(
                    "Stopped early at step "
                        + end
                        + " of 12: the validation loss did not go below its "
                        + "lowest, ")
            && r.out()
                .contains(
                    "at step "
                        + best.step()
                        + ", in 3 measurements (--early-stopping-patience 3)."),
        r.out());
    assertEquals(end, TrainingLog.read(whole.resolve(FineTune.LOG_FILE)).size());
    assertTrue(
        Files.isRegularFile(whole.resolve("adapter_model.safetensors")),
        "an early stop is a finished run");
    CliRun again = CliRun.of(train(whole, append(validation, "--resume")));
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().contains("already finished"), again.out());

    // The same run stopped at the best step, then one step later (one measurement since the best),
    // then resumed.
    Path split = dir.resolve("split");
    assertEquals(130, trainStoppingAfter((int) best.step(), train(split, validation)));
    Path checkpoint = split.resolve("checkpoints/checkpoint-" + best.step() + ".safetensors");
    Map<String, float[]> bestAdapter = tensors(split.resolve("checkpoints/best"));
    try (SafeTensorsFile f = SafeTensorsFile.open(checkpoint)) {
      for (Map.Entry<String, float[]> e : bestAdapter.entrySet()) {
        assertArrayEquals(f.floats(e.getKey()), e.getValue(), "best/ holds step " + best.step());
      }
    }
    assertEquals(130, trainStoppingAfter(1, train(split, append(validation, "--resume"))));
    CliRun resumed = CliRun.of(train(split, append(validation, "--resume")));
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.out().contains("Stopped early at step " + end + " of 12"), resumed.out());

    assertEquals(logWithoutTimes(whole), logWithoutTimes(split));
    for (String folder : List.of(".", "checkpoints/best")) {
      Map<String, float[]> expected = tensors(whole.resolve(folder));
      Map<String, float[]> actual = tensors(split.resolve(folder));
      assertEquals(expected.keySet(), actual.keySet());
      expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), folder + " " + k));
    }
  }

  @Test
  void validationOptionsAreCheckedBeforeTheWorkAndResumeRefusesOtherOnes() throws IOException {
    Path out = dir.resolve("refused");
    String[][] bad = {
      {"--val-fraction", "0.2", "--eval-data", data.toString()},
      {"--eval-every", "5"},
      {"--early-stopping-patience", "2"},
      {"--val-fraction", "1.5"},
      {"--val-fraction", "0.2", "--eval-every", "0"},
      {"--eval-data", dir.resolve("missing.jsonl").toString()}
    };
    String[] sentences = {
      "--eval-data and --val-fraction both name the validation set; give one.",
      "--eval-every needs a validation set: give --eval-data or --val-fraction.",
      "--early-stopping-patience needs a validation set: give --eval-data or --val-fraction.",
      "--val-fraction is 1.5, expected a fraction between 0 and 1.",
      "--eval-every is 0, expected at least 1.",
      "missing.jsonl"
    };
    for (int i = 0; i < bad.length; i++) {
      CliRun r = CliRun.of(train(out, bad[i]));
      assertEquals(2, r.exitCode(), r.err());
      assertTrue(r.err().contains(sentences[i]), r.err());
      assertFalse(Files.exists(out.resolve(FineTune.LOG_FILE)), "nothing trained");
    }

    String[] validation = {"--val-fraction", "0.25", "--eval-every", "2"};
    assertEquals(130, trainStoppingAfter(1, train(out, validation)));
    CliRun other = CliRun.of(train(out, "--val-fraction", "0.25", "--eval-every", "3", "--resume"));
    assertEquals(2, other.exitCode(), other.err());
    assertTrue(other.err().contains("--eval-every (2 then, 3 now)"), other.err());
    CliRun none = CliRun.of(train(out, "--resume"));
    assertEquals(2, none.exitCode(), none.err());
    assertTrue(none.err().contains("--val-fraction (0.25 then, nothing now)"), none.err());
    try (Stream<Path> files = Files.list(out.resolve("checkpoints"))) {
      assertTrue(
          files.anyMatch(p -> p.getFileName().toString().equals("checkpoint-1.safetensors")),
          "the refused resumes left the checkpoint");
    }
  }

  private static String[] append(String[] a, String... more) {
    return Stream.concat(Stream.of(a), Stream.of(more)).toArray(String[]::new);
  }
}
