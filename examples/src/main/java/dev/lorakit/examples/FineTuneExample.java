package dev.lorakit.examples;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.BackendProvider;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * lorakit as a dependency: makes a tiny random LLaMA-architecture model, fine-tunes a LoRA adapter on one prompt
 * for a few steps, saves the adapter and generates with it. It exits with status 1 unless the loss fell, the
 * adapter file exists, the tuned model answers the prompt and lora-cuda's backend was found on the class path.
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
    writeTinyModel(modelDir, 5);

    List<Double> losses = new ArrayList<>();
    String answer;
    try (Backend backend = Backends.select("auto", System.out::println);
        ModelFolder folder = ModelFolder.open(modelDir);
        Tokenizer tokenizer = folder.openTokenizer()) {
      DecoderConfig shape = folder.decoderConfig();
      Decoder decoder = new Decoder(shape, folder.decoderWeights(backend), backend);
      LoraConfig config = LoraConfig.of(16, 32, 0.0, new TargetModules.AllLinear());
      try (LoraWeights lora = LoraWeights.init(LoraSpec.of(config, shape), backend, 42);
          AdamW adamw = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
        decoder.setLora(lora);
        int[] prompt = tokenizer.encode("Prostate cancer, Gleason 4+3.\nModality:");
        int[] completion = tokenizer.encodeNoBos("photon");
        List<Example> data = List.of(Example.promptCompletion(prompt, completion));
        int steps = 30;
        var settings = new Trainer.Settings(1, 1, steps, LrSchedule.cosine(1e-2, 3, steps), 1.0, 0, null, 42, 0);
        new Trainer(decoder, lora, adamw, settings, data).train(m -> {
          losses.add(m.loss());
          System.out.printf("step %2d  loss %.4f%n", m.step(), m.loss());
        });
        lora.save(adapterDir);
        decoder.setTraining(false);
        int[] ids = new Generator(decoder).generate(prompt, 4, tokenizer.specialTokens().eos(),
            Sampler.Settings.greedy());
        answer = tokenizer.decode(Arrays.copyOfRange(ids, prompt.length, ids.length)).strip();
      }
    }
    System.out.println("answer: " + answer);

    List<String> backends = Backends.providers().stream().map(BackendProvider::name).toList();
    check(backends.contains("cuda"), "lora-cuda's backend is on the class path (found " + backends + ")");
    check(losses.getLast() < losses.getFirst() / 2,
        "the loss fell by more than half (" + losses.getFirst() + " -> " + losses.getLast() + ")");
    check(Files.size(adapterDir.resolve("adapter_model.safetensors")) > 0, "the adapter was saved in " + adapterDir);
    check(answer.startsWith("photon"), "the tuned model answers the prompt (\"" + answer + "\")");
    System.out.println("example passed");
  }

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok:     " : "FAILED: ") + what);
    if (!ok) System.exit(1);
  }

  /**
   * A Hugging Face model folder with a tiny LLaMA (width 32, one block of two heads, MLP 64) at random weights and
   * the Mistral-7B tokenizer that lora-models bundles (vocabulary 32000).
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
    Files.writeString(dir.resolve("config.json"), """
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
        """.formatted(vocab, hidden, intermediate));
    try (InputStream in = Tokenizer.class.getResourceAsStream("tokenizers/mistral-7b-v0.1/tokenizer.json")) {
      if (in == null) throw new IllegalStateException("lora-models has no bundled Mistral tokenizer.");
      Files.copy(in, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void gaussian(SafeTensorsWriter w, String name, Random rnd, double std, int rows, int cols) {
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
