package dev.lorakit.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.testkit.RandomModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

  private static final CpuBackend BE = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();
  private static final LoraSpec SPEC = RandomModel.spec(C, 4, 8, 0.1, false, RandomModel.ALL);

  @AfterAll
  static void close() {
    BE.close();
  }

  private static List<Example> data(int n) {
    Random rnd = new Random(99);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] prompt = RandomModel.tokens(rnd, 2 + rnd.nextInt(3), C.vocab());
      int[] completion = {7, 8, 9, 10 + i % 3};
      out.add(Example.promptCompletion(prompt, completion));
    }
    return out;
  }

  /** A fresh decoder + adapter + optimizer + trainer, all from fixed seeds. */
  private record Run(Decoder decoder, LoraWeights lora, AdamW opt, Trainer trainer)
      implements AutoCloseable {
    static Run create(Trainer.Settings s, List<Example> data) {
      Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE);
      LoraWeights lora = LoraWeights.init(SPEC, BE, 2);
      d.setLora(lora);
      AdamW opt = new AdamW(BE, lora.parameters(), AdamW.Settings.defaults());
      return new Run(d, lora, opt, new Trainer(d, lora, opt, s, data));
    }

    List<float[]> params() {
      List<float[]> out = new ArrayList<>();
      for (Parameter p : lora.parameters()) {
        out.add(BE.download(p.value()));
      }
      return out;
    }

    @Override
    public void close() {
      opt.close();
      lora.close();
      decoder.close();
    }
  }

  private static Trainer.Settings settings(int steps, int accum, int batch, Path dir, int every) {
    return new Trainer.Settings(
        batch, accum, steps, LrSchedule.cosine(5e-2, 1, steps), 1.0, every, dir, 1234, 0);
  }

  @Test
  void resumingFromACheckpointRepeatsTheRunBitForBit(@TempDir Path dir) throws IOException {
    List<Example> data = data(6);
    List<float[]> straight;
    List<Double> losses = new ArrayList<>();
    try (Run r = Run.create(settings(5, 2, 2, dir, 2), data)) {
      r.trainer().train(m -> losses.add(m.loss()));
      straight = r.params();
    }
    assertTrue(Files.exists(dir.resolve("checkpoint-2.safetensors")));
    assertEquals(
        dir.resolve("checkpoint-4.safetensors"), Trainer.latestCheckpoint(dir).orElseThrow());
    List<Double> resumedLosses = new ArrayList<>();
    try (Run r = Run.create(settings(5, 2, 2, dir.resolve("again"), 2), data)) {
      r.trainer().loadCheckpoint(dir.resolve("checkpoint-2.safetensors"));
      assertEquals(2, r.opt().stepCount());
      r.trainer().train(m -> resumedLosses.add(m.loss()));
      List<float[]> resumed = r.params();
      for (int i = 0; i < straight.size(); i++) {
        assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
      }
    }
    assertEquals(losses.subList(2, 5), resumedLosses);
    assertFalse(
        Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".tmp")),
        "no temporary files left");
  }

  @Test
  void lossFallsWhenOverfittingASmallSet() throws IOException {
    List<Double> losses = new ArrayList<>();
    try (Run r =
        Run.create(
            new Trainer.Settings(4, 1, 30, LrSchedule.constant(3e-2, 0), 1.0, 0, null, 5, 0),
            data(4))) {
      r.trainer().train(m -> losses.add(m.loss()));
    }
    assertTrue(
        losses.get(29) < 0.5 * losses.get(0), "loss " + losses.get(0) + " -> " + losses.get(29));
  }

  @Test
  void accumulatingMicroBatchesNormalisesOverTheWholeStep() throws IOException {
    // Same-length rows, so one batch of 2 equals two micro-batches of 1 (dropout aside: use none).
    List<Example> data =
        List.of(
            Example.promptCompletion(new int[] {1, 2}, new int[] {3, 4, 5}),
            Example.promptCompletion(new int[] {6}, new int[] {7, 8, 9, 10}));
    double[] loss = new double[2];
    for (int mode = 0; mode < 2; mode++) {
      Trainer.Settings s =
          mode == 0
              ? new Trainer.Settings(2, 1, 1, LrSchedule.constant(0, 0), 0, 0, null, 3, 0)
              : new Trainer.Settings(1, 2, 1, LrSchedule.constant(0, 0), 0, 0, null, 3, 0);
      try (Run r = Run.create(s, data)) {
        int i = mode;
        r.trainer().train(m -> loss[i] = m.loss());
      }
    }
    assertEquals(loss[0], loss[1], 1e-6);
  }

  @Test
  void aNonFiniteLossStopsTrainingNamingTheStep() {
    try (Run r = Run.create(settings(3, 1, 2, null, 0), data(4))) {
      Parameter b = r.lora().parameters().get(1);
      float[] nan = new float[(int) b.value().size()];
      Arrays.fill(nan, Float.NaN);
      BE.copy(BE.upload(nan, DType.F32, b.value().shape()), b.value());
      TrainingDivergedException e =
          assertThrows(TrainingDivergedException.class, () -> r.trainer().train(null));
      assertTrue(e.getMessage().startsWith("Training stopped at step 1:"), e.getMessage());
    }
  }

  @Test
  void nonFiniteStepsAreSkippedWhenAskedWithoutTouchingWeightsOrMoments() throws IOException {
    try (Run r = Run.create(settings(3, 1, 2, null, 0), data(4))) {
      Parameter b = r.lora().parameters().get(1);
      float[] nan = new float[(int) b.value().size()];
      Arrays.fill(nan, Float.NaN);
      BE.copy(BE.upload(nan, DType.F32, b.value().shape()), b.value());
      Parameter a = r.lora().parameters().get(0);
      float[] aBefore = BE.download(a.value());
      List<Double> losses = new ArrayList<>();
      r.trainer().skipNonFiniteSteps(true).train(m -> losses.add(m.loss()));
      assertEquals(3, r.trainer().skippedSteps());
      assertEquals(3, losses.size(), "the listener sees every step, skipped ones included");
      assertTrue(losses.stream().allMatch(l -> Double.isNaN(l)), losses.toString());
      assertArrayEquals(aBefore, BE.download(a.value()), "a skipped step leaves the weights alone");
      for (var m : r.opt().moments().values()) {
        float[] first = BE.download(m.m());
        for (float x : first) {
          assertEquals(0f, x, "a skipped step leaves the moments alone");
        }
      }
    }
  }

  @Test
  void theTrainedAdapterIsSavedAsAPeftFolderThatLoadsBack(@TempDir Path dir) throws IOException {
    try (Run r = Run.create(settings(2, 1, 2, null, 0), data(4))) {
      r.trainer().train(null);
      Path folder = dir.resolve("adapter");
      r.trainer().saveAdapter(folder);
      assertTrue(Files.isRegularFile(folder.resolve("adapter_config.json")));
      try (LoraWeights back = LoraWeights.read(folder, C, BE)) {
        List<float[]> trained = r.params();
        for (int i = 0; i < trained.size(); i++) {
          assertArrayEquals(
              trained.get(i),
              BE.download(back.parameters().get(i).value()),
              back.parameters().get(i).name());
        }
        assertEquals(SPEC.modules(), back.spec().modules());
        assertEquals(0.1, back.spec().dropout());
      }
    }
  }

  @Test
  void theSettingsBuilderStartsFromTheDefaultsAndNeedsOnlyTheSteps() {
    Trainer.Settings s = Trainer.Settings.builder().steps(20).build();
    assertEquals(new Trainer.Settings(4, 4, 20, s.schedule(), 1.0, 0, null, 42, 0), s);
    LrSchedule expected = LrSchedule.cosine(2e-4, 10, 20);
    for (int step = 0; step < 20; step++) {
      assertEquals(expected.at(step), s.schedule().at(step), "step " + step);
    }
    Trainer.Settings linear =
        Trainer.Settings.builder().steps(8).lr(1e-3).schedule("linear").warmup(0).build();
    assertEquals(LrSchedule.linear(1e-3, 0, 8).at(3), linear.schedule().at(3));
    assertThrows(
        LorakitInputException.class,
        () -> Trainer.Settings.builder().build(),
        "the steps are required");
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> Trainer.Settings.builder().steps(5).schedule("sawtooth").build());
    assertEquals(
        "Unknown learning-rate schedule \"sawtooth\"; expected constant, linear or cosine.",
        e.getMessage());
    assertThrows(
        LorakitInputException.class,
        () -> Trainer.Settings.builder().steps(5).batchSize(0).build());
  }

  @Test
  void batchesArePaddedOnTheRightAndPromptsMasked() {
    Example a = Example.promptCompletion(new int[] {5, 6}, new int[] {7});
    Example b = new Example(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 4});
    Trainer.Batch batch = Trainer.collate(List.of(a, b), 0);
    assertArrayEquals(new int[] {5, 6, 7, 0, 1, 2, 3, 4}, batch.ids());
    int ig = Backend.IGNORE_INDEX;
    assertArrayEquals(new int[] {ig, 7, ig, ig, 2, 3, 4, ig}, batch.targets());
    assertThrows(
        IllegalArgumentException.class, () -> new Example(new int[] {1}, new int[] {1, 2}));
  }

  @Test
  void shufflingIsSeededAndChangesPerEpoch() {
    int[] e0 = Trainer.permutation(20, 7, 0);
    assertArrayEquals(e0, Trainer.permutation(20, 7, 0));
    assertFalse(Arrays.equals(e0, Trainer.permutation(20, 7, 1)));
    assertFalse(Arrays.equals(e0, Trainer.permutation(20, 8, 0)));
    int[] sorted = e0.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 20; i++) {
      assertEquals(i, sorted[i]);
    }
  }
}
