package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.core.lora.InitLoraWeights;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.models.LlamaConfigJson;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A LLaMA-architecture model with random weights, written as a Hugging Face model folder, with a
 * PEFT adapter whose A and B are both random and a batch of token ids: the same files for lorakit
 * and for transformers + PEFT, so the two can be compared at a scale no checked-in fixture has.
 *
 * <p>Weights: bf16, uniform with standard deviation 0.02 (transformers' {@code initializer_range})
 * for the embeddings and projections, {@code 1 + U(-0.1, 0.1)} for the norms (not ones, so that a
 * norm weight applied wrongly shows). Every value is a hash of (seed, tensor, element), so any
 * thread writes any part and the files are the same bytes for the same seed on every machine.
 *
 * @param name the shape's name on the command line
 * @param vocab vocabulary
 * @param hidden width of the residual stream
 * @param intermediate width of the MLP
 * @param layers decoder blocks
 * @param heads attention heads
 * @param kvHeads key/value heads
 */
record RandomModel(
    String name, int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {

  /** The shapes {@code --shape} names. */
  static final List<RandomModel> SHAPES =
      List.of(
          new RandomModel("llama-1b", 32000, 2048, 5632, 16, 16, 16),
          new RandomModel("llama2-7b", 32000, 4096, 11008, 32, 32, 32),
          new RandomModel("tiny", 512, 64, 160, 2, 4, 2));

  static final List<String> TARGETS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  static RandomModel shape(String name) {
    for (RandomModel m : SHAPES) {
      if (m.name.equals(name)) return m;
    }
    throw new LorakitInputException(
        "--shape is \""
            + name
            + "\", expected "
            + String.join(" or ", SHAPES.stream().map(RandomModel::name).toList())
            + ".");
  }

  int maxPositions() {
    return 2048;
  }

  /** One weight tensor: its name, shape, and how its values are drawn. */
  private record Weight(String name, int rows, int cols, boolean norm) {
    long count() {
      return (long) rows * cols;
    }
  }

  private List<Weight> weights() {
    int q = heads * (hidden / heads);
    int kv = kvHeads * (hidden / heads);
    List<Weight> w = new ArrayList<>();
    w.add(new Weight("model.embed_tokens.weight", vocab, hidden, false));
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      w.add(new Weight(p + "input_layernorm.weight", 1, hidden, true));
      w.add(new Weight(p + "self_attn.q_proj.weight", q, hidden, false));
      w.add(new Weight(p + "self_attn.k_proj.weight", kv, hidden, false));
      w.add(new Weight(p + "self_attn.v_proj.weight", kv, hidden, false));
      w.add(new Weight(p + "self_attn.o_proj.weight", hidden, q, false));
      w.add(new Weight(p + "post_attention_layernorm.weight", 1, hidden, true));
      w.add(new Weight(p + "mlp.gate_proj.weight", intermediate, hidden, false));
      w.add(new Weight(p + "mlp.up_proj.weight", intermediate, hidden, false));
      w.add(new Weight(p + "mlp.down_proj.weight", hidden, intermediate, false));
    }
    w.add(new Weight("model.norm.weight", 1, hidden, true));
    w.add(new Weight("lm_head.weight", vocab, hidden, false));
    return w;
  }

  /** Parameters of the base model. */
  long parameters() {
    return weights().stream().mapToLong(Weight::count).sum();
  }

  /**
   * Writes the model folder {@code dir} (which must not hold a model yet): {@code config.json} and
   * the weights in bf16, in shards of at most {@code maxShardBytes} listed by {@code
   * model.safetensors.index.json} when they do not fit in one {@code model.safetensors}. The folder
   * appears complete or not at all.
   */
  void writeModel(Path dir, long seed, long maxShardBytes) throws IOException {
    List<Weight> all = weights();
    List<List<Weight>> shards = new ArrayList<>();
    List<Weight> current = new ArrayList<>();
    long bytes = 0;
    for (Weight w : all) {
      if (!current.isEmpty() && bytes + 2 * w.count() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(w);
      bytes += 2 * w.count();
    }
    shards.add(current);
    Map<String, String> weightMap = new LinkedHashMap<>();
    try (OutputFolder folder = OutputFolder.claim(dir, "--out", "make-random-model", false)) {
      Path temp = folder.newTemporaryFolder("model");
      for (int s = 0; s < shards.size(); s++) {
        String file =
            shards.size() == 1
                ? SafeTensors.SINGLE_FILE
                : String.format(
                    Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
        writeShard(temp.resolve(file), shards.get(s), all, seed);
        for (Weight w : shards.get(s)) weightMap.put(w.name, file);
      }
      if (shards.size() > 1) {
        StringBuilder index =
            new StringBuilder(
                "{\n  \"metadata\": {\"total_size\": "
                    + 2 * parameters()
                    + "},\n  \"weight_map\": {\n");
        int i = 0;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
          index
              .append("    \"")
              .append(e.getKey())
              .append("\": \"")
              .append(e.getValue())
              .append('"')
              .append(++i < weightMap.size() ? ",\n" : "\n");
        }
        index.append("  }\n}\n");
        TextFiles.writeAtomically(temp.resolve(SafeTensors.INDEX_FILE), index.toString());
      }
      TextFiles.writeAtomically(temp.resolve("config.json"), configJson());
      folder.adopt(temp);
    }
  }

  private void writeShard(Path file, List<Weight> weights, List<Weight> all, long seed)
      throws IOException {
    try (Arena arena = Arena.ofShared()) {
      SafeTensorsWriter writer = SafeTensorsWriter.create().metadata("format", "pt");
      for (Weight w : weights) {
        MemorySegment values = arena.allocate(2 * w.count(), 2);
        long stream = all.indexOf(w);
        long n = w.count();
        int blocks = (int) ((n + 65535) / 65536);
        IntStream.range(0, blocks)
            .parallel()
            .forEach(
                b -> {
                  long end = Math.min(n, (b + 1L) * 65536);
                  for (long i = b * 65536L; i < end; i++) {
                    double u = 2 * uniform(seed, stream, i) - 1;
                    float v = (float) (w.norm ? 1 + 0.1 * u : 0.02 * Math.sqrt(3) * u);
                    values.set(BF16, 2 * i, HalfPrecision.floatToBf16(v));
                  }
                });
        long[] shape = w.norm ? new long[] {w.cols} : new long[] {w.rows, w.cols};
        writer.add(w.name, SafeTensorsDtype.BF16, shape, values);
      }
      writer.write(file);
    }
  }

  private static final ValueLayout.OfShort BF16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * A uniform double in [0, 1) from (seed, stream, index): SplitMix64's finaliser over a mixed
   * counter.
   */
  static double uniform(long seed, long stream, long index) {
    long z =
        seed * 0x9E3779B97F4A7C15L
            + stream * 0xD1B54A32D192ED03L
            + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }

  String configJson() {
    return LlamaConfigJson.of(
        vocab, hidden, intermediate, layers, heads, kvHeads, maxPositions(), "bfloat16");
  }

  /**
   * Writes a PEFT adapter folder for this model: rank {@code r}, alpha {@code 2r}, dropout 0, the
   * seven linear projections of every layer, A and B both random ({@code init_lora_weights: false},
   * torch.nn.Linear's initialisation) from {@code seed}, float32.
   */
  void writeAdapter(Path dir, DecoderConfig model, long seed, int r) throws IOException {
    LoraConfig base = LoraConfig.of(r, 2.0 * r, 0, new TargetModules.Names(TARGETS));
    LoraConfig config =
        new LoraConfig(
            r,
            2.0 * r,
            0,
            base.targetModules(),
            null,
            false,
            "none",
            null,
            null,
            null,
            null,
            null,
            InitLoraWeights.RANDOM,
            "CAUSAL_LM",
            null,
            "LORA",
            false,
            null,
            false,
            null);
    try (OutputFolder folder =
            OutputFolder.claim(dir, "--adapter-out", "make-random-model", false);
        CpuBackend cpu = new CpuBackend();
        LoraWeights w = LoraWeights.init(LoraSpec.of(config, model), cpu, seed)) {
      w.save(folder.path());
    }
  }

  /** One sentence unless a batch of {@code batch x seq} tokens fits this model. */
  void checkBatch(int batch, int seq) {
    if (batch < 1 || seq < 2 || seq > maxPositions()) {
      throw new LorakitInputException(
          "--batch must be at least 1 and --seq from 2 to "
              + maxPositions()
              + ", not "
              + batch
              + " and "
              + seq
              + ".");
    }
  }

  /**
   * Writes {@code input_ids} and {@code labels} (int64, {@code [batch, seq]}) drawn from {@code
   * seed}; the labels are the ids with the first quarter of the first row and the last three
   * positions of the last row set to -100, so that prompt masking is part of what is compared.
   */
  void writeBatch(Path file, long seed, int batch, int seq) throws IOException {
    checkBatch(batch, seq);
    int n = batch * seq;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ids = arena.allocate(8L * n, 8);
      MemorySegment labels = arena.allocate(8L * n, 8);
      for (int i = 0; i < n; i++) {
        long id = (long) (uniform(seed, -1, i) * vocab);
        boolean masked = i < seq / 4 || i >= n - 3;
        ids.setAtIndex(I64, i, id);
        labels.setAtIndex(I64, i, masked ? -100 : id);
      }
      SafeTensorsWriter.create()
          .metadata("format", "pt")
          .add("input_ids", SafeTensorsDtype.I64, new long[] {batch, seq}, ids)
          .add("labels", SafeTensorsDtype.I64, new long[] {batch, seq}, labels)
          .write(file);
    }
  }
}
