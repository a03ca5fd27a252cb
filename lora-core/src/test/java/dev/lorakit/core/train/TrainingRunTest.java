package dev.lorakit.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.testkit.RandomModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole run: its folder, rotated checkpoints, stop and resume bit for bit, validation and the
 * best adapter.
 */
class TrainingRunTest {

  private static final CpuBackend BE = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();
  private static final LoraSpec SPEC = RandomModel.spec(C, 4, 8, 0.1, false, RandomModel.ALL);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STEPS = 8;

  /** High enough for the held-out loss to turn up within the run. */
  private static final double LR = 8e-2;

  @AfterAll
  static void close() {
    BE.close();
  }

  private static List<Example> data(int n, int seed) {
    Random rnd = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] prompt = RandomModel.tokens(rnd, 2 + rnd.nextInt(3), C.vocab());
      out.add(Example.promptCompletion(prompt, new int[] {7, 8, 9, 10 + i % 3}));
    }
    return out;
  }

  /**
   * Held-out examples whose answers the training data does not teach: their loss turns up as it is
   * learned.
   */
  private static List<Example> heldOut() {
    Random rnd = new Random(7);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      out.add(
          Example.promptCompletion(RandomModel.tokens(rnd, 3, C.vocab()), new int[] {20, 21, 22}));
    }
    return out;
  }

  /**
   * Seeded settings whose learning rate is high enough for the held-out loss to turn up within the
   * run.
   */
  private static Trainer.Settings settings(double lr) {
    return Trainer.Settings.builder()
        .batchSize(2)
        .gradAccum(2)
        .steps(STEPS)
        .lr(lr)
        .warmup(1)
        .seed(1234)
        .build();
  }

  /** A decoder with a fresh seeded adapter, handed to {@code body}, then closed. */
  private static void withDecoder(Consumer<Decoder> body) {
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE);
        LoraWeights lora = LoraWeights.init(SPEC, BE, 2)) {
      d.setLora(lora);
      body.accept(d);
    }
  }

  private static TrainingRun.Builder run(Decoder d, Path folder, double lr) {
    return TrainingRun.builder(d, data(6, 99))
        .settings(settings(lr))
        .folder(folder)
        .checkpointEvery(2)
        .validation(new Validation(heldOut(), 2, 0, new Validation.Settings(2, 0)));
  }

  private static TrainingRun.Result runQuietly(TrainingRun run) {
    try {
      return run.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<JsonNode> log(Path folder) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String l : Files.readAllLines(folder.resolve(TrainingRun.LOG_FILE))) {
      ObjectNode n = (ObjectNode) JSON.readTree(l);
      n.remove("elapsed"); // wall time: the one thing a resumed run does not repeat
      lines.add(n);
    }
    return lines;
  }

  private static Map<String, float[]> adapter(Path folder) throws IOException {
    Map<String, float[]> out = new HashMap<>();
    try (LoraWeights w = LoraWeights.read(folder, C, BE)) {
      for (Parameter p : w.parameters()) {
        out.put(p.name(), BE.download(p.value()));
      }
    }
    return out;
  }

  private static List<Long> checkpointSteps(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder.resolve(TrainingRun.CHECKPOINTS))) {
      return files.map(Trainer::stepOf).filter(s -> s >= 0).sorted().toList();
    }
  }

  @Test
  void aStoppedRunResumedEndsBitForBitAsTheUninterruptedOne(@TempDir Path dir) throws IOException {
    Path whole = dir.resolve("whole");
    withDecoder(
        d ->
            assertEquals(
                TrainingRun.Ending.FINISHED, runQuietly(run(d, whole, LR).build()).ending()));

    Path parts = dir.resolve("parts");
    withDecoder(
        d -> {
          TrainingRun[] stopping = new TrainingRun[1];
          stopping[0] =
              run(d, parts, LR)
                  .listener(
                      p -> {
                        if (p.metrics().step() == 3) {
                          stopping[0].requestStop();
                        }
                      })
                  .build();
          TrainingRun.Result r = runQuietly(stopping[0]);
          assertEquals(TrainingRun.Ending.STOPPED, r.ending());
          assertEquals(3, r.steps(), "stopped at the step boundary where it was asked");
        });
    assertFalse(
        Files.exists(parts.resolve(PeftAdapter.WEIGHTS_FILE)), "a stopped run has no adapter yet");
    assertEquals(
        List.of(3L),
        checkpointSteps(parts),
        "the stop wrote its checkpoint and the older one went");
    withDecoder(
        d -> {
          TrainingRun.Result r = runQuietly(run(d, parts, LR).resume(true).build());
          assertEquals(TrainingRun.Ending.FINISHED, r.ending());
          assertEquals(STEPS, r.steps());
        });
    Map<String, float[]> a = adapter(whole);
    Map<String, float[]> b = adapter(parts);
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      assertArrayEquals(a.get(name), b.get(name), name);
    }
    assertEquals(log(whole), log(parts), "the same log, validation lines included");
    assertArrayEquals(
        Files.readAllBytes(whole.resolve("checkpoints/best/adapter_model.safetensors")),
        Files.readAllBytes(parts.resolve("checkpoints/best/adapter_model.safetensors")));
    withDecoder(
        d ->
            assertEquals(
                TrainingRun.Ending.ALREADY_FINISHED,
                runQuietly(run(d, parts, LR).resume(true).build()).ending()));
  }

  @Test
  void checkpointsRotateKeepingTheNewest(@TempDir Path dir) throws IOException {
    Path folder = dir.resolve("run");
    withDecoder(
        d ->
            runQuietly(
                TrainingRun.builder(d, data(6, 99))
                    .settings(settings(1e-2))
                    .folder(folder)
                    .checkpointEvery(1)
                    .keepCheckpoints(3)
                    .build()));
    assertEquals(List.of(6L, 7L, 8L), checkpointSteps(folder));
    assertEquals(STEPS, Files.readAllLines(folder.resolve(TrainingRun.LOG_FILE)).size());
  }

  @Test
  void theBestAdapterIsTheOneOfTheLowestValidationLoss(@TempDir Path dir) throws IOException {
    Path folder = dir.resolve("run");
    Map<Integer, Map<String, float[]>> byStep = new HashMap<>();
    List<Double> measured = new ArrayList<>();
    withDecoder(
        d -> {
          TrainingRun run =
              run(d, folder, LR)
                  .listener(
                      p -> {
                        Map<String, float[]> now = new HashMap<>();
                        for (Parameter q : d.lora().parameters()) {
                          now.put(q.name(), BE.download(q.value()));
                        }
                        byStep.put(p.metrics().step(), now);
                        if (p.validation() != null) {
                          measured.add(p.validation().loss());
                        }
                      })
                  .build();
          runQuietly(run);
          int best = run.validation().bestStep();
          assertEquals(
              measured.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
              run.validation().bestLoss());
          assertTrue(
              best < STEPS,
              "the rate overshoots: the last step is not the best (" + measured + ")");
          try {
            Map<String, float[]> kept = adapter(folder.resolve("checkpoints/best"));
            for (var e : kept.entrySet()) {
              assertArrayEquals(byStep.get(best).get(e.getKey()), e.getValue(), e.getKey());
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    assertEquals(
        4, log(folder).stream().filter(n -> n.has("val_loss")).count(), "steps 2, 4, 6 and 8");
  }

  @Test
  void patienceUsedUpEndsTheRunAsFinished(@TempDir Path dir) {
    Path folder = dir.resolve("run");
    withDecoder(
        d -> {
          TrainingRun.Result r =
              runQuietly(
                  TrainingRun.builder(d, data(6, 99))
                      .settings(settings(3e-1))
                      .folder(folder)
                      .validation(heldOut(), new Validation.Settings(1, 1))
                      .build());
          assertEquals(TrainingRun.Ending.STOPPED_EARLY, r.ending());
          assertTrue(r.steps() < STEPS, "stopped at " + r.steps());
        });
    assertTrue(
        Files.exists(folder.resolve(PeftAdapter.WEIGHTS_FILE)), "an early stop is a finished run");
  }

  @Test
  void aRunIsResumedOnlyWithItsOwnSettingsAndANewOneNeverReplacesIt(@TempDir Path dir) {
    Path folder = dir.resolve("run");
    withDecoder(
        d ->
            assertEquals(
                1,
                runQuietly(run(d, folder, LR).stopWhen(() -> true).build()).steps(),
                "a stop condition is asked after each step"));
    withDecoder(
        d -> {
          LorakitInputException e =
              assertThrows(
                  LorakitInputException.class,
                  () -> run(d, folder, 6e-2).resume(true).build().run());
          assertTrue(
              e.getMessage()
                  .startsWith(
                      "The run in "
                          + folder
                          + " was made with other settings or data: "
                          + "lr_schedule_sha256 was "),
              e.getMessage());
          e = assertThrows(LorakitInputException.class, () -> run(d, folder, LR).build().run());
          assertEquals(
              folder + " already holds a training run; resume it, or train into another folder.",
              e.getMessage());
          e =
              assertThrows(
                  LorakitInputException.class,
                  () -> run(d, dir.resolve("empty"), LR).resume(true).build().run());
          assertTrue(
              e.getMessage().endsWith("holds no checkpoint of a run to continue."), e.getMessage());
        });
  }

  @Test
  void aStopBeforeTheFirstStepLeavesNoRunBehind(@TempDir Path dir) {
    Path folder = dir.resolve("run");
    withDecoder(
        d -> {
          TrainingRun r = run(d, folder, LR).build();
          r.requestStop();
          TrainingRun.Result result = runQuietly(r);
          assertEquals(TrainingRun.Ending.STOPPED, result.ending());
          assertEquals(0, result.steps());
        });
    assertFalse(Files.exists(folder.resolve(TrainingRun.LOG_FILE)));
    assertFalse(Files.exists(folder.resolve(TrainingRun.CHECKPOINTS)));
  }
}
