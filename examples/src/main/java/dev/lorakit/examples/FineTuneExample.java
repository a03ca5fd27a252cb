package dev.lorakit.examples;

import dev.lorakit.core.backend.BackendProvider;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.core.backend.Device;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.LoraModel;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * lorakit as a dependency: makes a tiny random LLaMA-architecture model, opens it as a {@link
 * LoraModel}, fine-tunes a LoRA adapter on one prompt for a few steps in a run folder, saves the
 * adapter and generates with it, and without it. It exits with status 1 unless the loss fell, the
 * adapter file exists, the tuned model answers the prompt and lora-cuda's backend was found on the
 * class path.
 *
 * <p>Run by {@code mvn verify} in this folder: {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp ... dev.lorakit.examples.FineTuneExample OUT_DIR}.
 */
public final class FineTuneExample {

  private FineTuneExample() {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "example-run");
    Path modelDir = out.resolve("model");
    Path adapterDir = out.resolve("adapter");
    Path runDir = out.resolve("run");
    // A tiny LLaMA (width 32, one block of two heads, MLP 64) at random weights, with the
    // Mistral-7B
    // tokenizer that lora-models bundles, as a Hugging Face model folder.
    new TinyModel(32, 64, 1, 2).write(modelDir, 5, SafeTensorsDtype.F32);
    deleteRecursively(
        adapterDir); // a rerun starts afresh: a run folder is never reused by accident
    deleteRecursively(runDir);

    String prompt = "Prostate cancer, Gleason 4+3.\nModality:";
    List<Double> losses = new ArrayList<>();
    String before;
    String answer;
    String withoutAdapter;
    try (LoraModel model = LoraModel.open(modelDir, Device.AUTO)) {
      before = model.generate(prompt, LoraModel.Generation.greedy(4)).strip();
      model.withAdapter(LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0).build());
      List<Example> data = List.of(model.example(prompt, "photon"));
      Trainer.Settings settings =
          Trainer.Settings.builder().batchSize(1).gradAccum(1).steps(30).lr(1e-2).warmup(3).build();
      model
          .trainingRun(data)
          .settings(settings)
          .folder(runDir)
          .listener(p -> losses.add(p.metrics().loss()))
          .build()
          .run();
      model.saveAdapter(adapterDir);
      answer = model.generate(prompt, LoraModel.Generation.greedy(4)).strip();
      try (var base = model.adapterDisabled()) {
        withoutAdapter = model.generate(prompt, LoraModel.Generation.greedy(4)).strip();
      }
    }
    System.out.println("answer before training: \"" + before + "\", after: \"" + answer + "\"");
    List<String> backends = Backends.providers().stream().map(BackendProvider::name).toList();
    check(
        backends.contains("cuda"),
        "lora-cuda's backend is on the class path (found " + backends + ")");
    check(
        losses.getLast() < 0.6 * losses.getFirst(),
        "the loss fell by more than 40 % (" + losses.getFirst() + " -> " + losses.getLast() + ")");
    check(
        Files.size(adapterDir.resolve("adapter_model.safetensors")) > 0,
        "the adapter was saved in " + adapterDir);
    check(
        Files.size(runDir.resolve("training_log.jsonl")) > 0,
        "the run folder holds the training log");
    check(
        !before.startsWith("photon"),
        "the base model did not know the answer (\"" + before + "\")");
    check(answer.startsWith("photon"), "the tuned model answers the prompt (\"" + answer + "\")");
    check(
        withoutAdapter.equals(before),
        "with the adapter disabled the model answers as before training");
    System.out.println("example passed");
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok:     " : "FAILED: ") + what);
    if (!ok) System.exit(1);
  }
}
