package dev.lorakit.examples;

import dev.lorakit.core.backend.BackendProvider;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.core.backend.Device;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.LoraModel;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
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
    writeTinyModel(modelDir, 5);
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
        losses.getLast() < losses.getFirst() / 2,
        "the loss fell by more than half (" + losses.getFirst() + " -> " + losses.getLast() + ")");
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

  /**
   * A Hugging Face model folder with a tiny LLaMA (width 32, one block of two heads, MLP 64) at
   * random weights and the Mistral-7B tokenizer that lora-models bundles (vocabulary 32000).
   */
  static void writeTinyModel(Path dir, long seed) throws IOException {
    int vocab = 32000;
    int hidden = 32;
    int intermediate = 64;
    Random rnd = new Random(seed);
    SafeTensorsWriter w = SafeTensorsWriter.create().metadata("format", "pt");
    gaussian(w, "model.embed_tokens.weight", rnd, 1.0, vocab, hidden);
    String p = "model.layers.0.";
    ones(w, p + "input_layernorm.weight", hidden);
    for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
      gaussian(w, p + "self_attn." + proj + ".weight", rnd, 1 / Math.sqrt(hidden), hidden, hidden);
    }
    ones(w, p + "post_attention_layernorm.weight", hidden);
    gaussian(w, p + "mlp.gate_proj.weight", rnd, 1 / Math.sqrt(hidden), intermediate, hidden);
    gaussian(w, p + "mlp.up_proj.weight", rnd, 1 / Math.sqrt(hidden), intermediate, hidden);
    gaussian(w, p + "mlp.down_proj.weight", rnd, 1 / Math.sqrt(intermediate), hidden, intermediate);
    ones(w, "model.norm.weight", hidden);
    gaussian(w, "lm_head.weight", rnd, 1 / Math.sqrt(hidden), vocab, hidden);

    Files.createDirectories(dir);
    w.write(dir.resolve("model.safetensors"));
    Files.writeString(
        dir.resolve("config.json"),
        """
        {
          "architectures": ["LlamaForCausalLM"],
          "model_type": "llama",
          "vocab_size": %d,
          "hidden_size": %d,
          "intermediate_size": %d,
          "num_hidden_layers": 1,
          "num_attention_heads": 2,
          "num_key_value_heads": 2,
          "max_position_embeddings": 512,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "hidden_act": "silu",
          "tie_word_embeddings": false,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "torch_dtype": "float32"
        }
        """
            .formatted(vocab, hidden, intermediate));
    try (InputStream in =
        Tokenizer.class.getResourceAsStream("tokenizers/mistral-7b-v0.1/tokenizer.json")) {
      if (in == null)
        throw new IllegalStateException("lora-models has no bundled Mistral tokenizer.");
      Files.copy(in, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void gaussian(
      SafeTensorsWriter w, String name, Random rnd, double std, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * std);
    w.addFloats(name, new long[] {rows, cols}, v, SafeTensorsDtype.F32);
  }

  private static void ones(SafeTensorsWriter w, String name, int n) {
    float[] v = new float[n];
    Arrays.fill(v, 1f);
    w.addFloats(name, new long[] {n}, v, SafeTensorsDtype.F32);
  }
}
