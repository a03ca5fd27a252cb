package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.Device;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door: a model folder opened, an adapter trained, saved, loaded, switched off, merged.
 */
class LoraModelTest {

  private static final String PROMPT = "Prostate cancer, Gleason 4+3.\nModality:";

  @TempDir static Path dir;
  static Path modelDir;
  static Path adapterDir;

  /** The model trained once, kept open for the tests that only read it (an open costs time). */
  static LoraModel trained;

  @BeforeAll
  static void trainOnce() throws IOException {
    modelDir = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(modelDir, 5, SafeTensorsDtype.F32);
    adapterDir = dir.resolve("adapter");
    trained = LoraModel.open(modelDir, Device.CPU);
    trained.withAdapter(LoraConfig.builder().loraDropout(0).build());
    TrainingRun.Result r =
        trained.train(
            List.of(trained.example(PROMPT, "photon")),
            Trainer.Settings.builder()
                .batchSize(1)
                .gradAccum(1)
                .steps(20)
                .lr(1e-2)
                .warmup(2)
                .build());
    assertEquals(TrainingRun.Ending.FINISHED, r.ending());
    assertEquals(20, r.steps());
    trained.saveAdapter(adapterDir);
  }

  @AfterAll
  static void close() {
    if (trained != null) trained.close();
  }

  private static float[] logits(LoraModel model) {
    int[] ids = model.tokenizer().encode(PROMPT);
    model.decoder().setTraining(false);
    Activations a = model.decoder().forward(ids, 1);
    return model.backend().download(a.logits());
  }

  @Test
  void anExampleLearnsOnlyTheCompletionAndEos() {
    Example e = trained.example(PROMPT, "photon");
    int prompt = trained.tokenizer().encode(PROMPT).length;
    int[] labels = e.labels();
    for (int i = 0; i < prompt; i++)
      assertEquals(Backend.IGNORE_INDEX, labels[i], "prompt token " + i);
    assertEquals(trained.tokenizer().specialTokens().eos(), labels[labels.length - 1]);
    assertArrayEquals(
        trained.tokenizer().encodeNoBos("photon"),
        Arrays.copyOfRange(labels, prompt, labels.length - 1));
  }

  @Test
  void aSavedAdapterLoadsBackAndAnswersAsTrainedWhileTheScopeWithoutItAnswersAsTheBase()
      throws IOException {
    try (LoraModel base = LoraModel.open(modelDir, Device.CPU);
        LoraModel tuned = LoraModel.open(modelDir, Device.CPU)) {
      String baseAnswer = base.generate(PROMPT, LoraModel.Generation.greedy(4));
      tuned.loadAdapter(adapterDir);
      assertTrue(
          tuned.generate(PROMPT, LoraModel.Generation.greedy(4)).strip().startsWith("photon"));
      var adapter = tuned.adapter().orElseThrow();
      try (var _ = tuned.adapterDisabled()) {
        assertNull(tuned.decoder().lora());
        assertEquals(baseAnswer, tuned.generate(PROMPT, LoraModel.Generation.greedy(4)));
        assertArrayEquals(logits(base), logits(tuned));
        assertThrows(IllegalStateException.class, () -> tuned.trainingRun(List.of()));
      }
      assertSame(adapter, tuned.decoder().lora(), "closing the scope turns the adapter back on");
      assertNotEquals(baseAnswer, tuned.generate(PROMPT, LoraModel.Generation.greedy(4)));
    }
  }

  @Test
  void theMergedModelComputesWhatTheModelWithItsAdapterDoes() throws IOException {
    Path merged = dir.resolve("merged");
    trained.merge(merged);
    float[] expected = logits(trained);
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> trained.merge(merged));
    assertEquals(merged + " already exists; a merged model goes to a new folder.", e.getMessage());
    try (LoraModel m = LoraModel.open(merged, Device.CPU)) {
      assertTrue(m.adapter().isEmpty());
      float[] got = logits(m);
      for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-4f, "logit " + i);
    }
    try (var files = Files.list(dir)) {
      assertTrue(
          files.noneMatch(p -> p.getFileName().toString().startsWith(".lorakit-tmp")),
          "no temporary left");
    }
  }

  @Test
  void aMissingModelFolderIsOneSentence() {
    Path missing = dir.resolve("no-model");
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> LoraModel.open(missing, Device.CPU));
    assertEquals(
        missing
            + " is not a model folder (one holding config.json, model.safetensors and tokenizer.json).",
        e.getMessage());
  }
}
