package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.lora.InitLoraWeights;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.models.RandomModelFolder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * A LLaMA-architecture model with random weights, written as a Hugging Face model folder, with a
 * PEFT adapter whose A and B are both random and a batch of token ids: the same files for lorakit
 * and for transformers + PEFT, so the two can be compared at a scale no checked-in fixture has.
 *
 * <p>Weights: bf16, {@link RandomWeights.Init#TRANSFORMERS} (std 0.02, norms {@code 1 + U(-0.1,
 * 0.1)}), every value a hash of (seed, tensor, element): the same bytes for the same seed on every
 * machine.
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

  /** The decoder of this shape: no sliding window, untied head, 2048 positions. */
  DecoderConfig decoderConfig() {
    return new DecoderConfig(
        vocab,
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        hidden / heads,
        10000,
        1e-5,
        0,
        false,
        maxPositions());
  }

  /** Parameters of the base model. */
  long parameters() {
    return new RandomWeights(0, RandomWeights.Init.TRANSFORMERS)
        .tensors(decoderConfig()).stream().mapToLong(RandomWeights.Draw::count).sum();
  }

  /**
   * Writes the model folder {@code dir} (which must not hold a model yet): {@code config.json} and
   * the weights ({@link RandomWeights.Init#TRANSFORMERS}) in bf16, in shards of at most {@code
   * maxShardBytes} listed by {@code model.safetensors.index.json} when they do not fit in one
   * {@code model.safetensors}. The folder appears complete or not at all.
   */
  void writeModel(Path dir, long seed, long maxShardBytes) throws IOException {
    try (OutputFolder folder = OutputFolder.claim(dir, "--out", "make-random-model", false)) {
      Path temp = folder.newTemporaryFolder("model");
      RandomModelFolder.write(
          temp,
          decoderConfig(),
          new RandomWeights(seed, RandomWeights.Init.TRANSFORMERS),
          SafeTensorsDtype.BF16,
          maxShardBytes);
      folder.adopt(temp);
    }
  }

  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * Writes a PEFT adapter folder for this model: rank {@code r}, alpha {@code 2r}, dropout 0, the
   * seven linear projections of every layer, A and B both random ({@code init_lora_weights: false},
   * torch.nn.Linear's initialisation) from {@code seed}, float32.
   */
  void writeAdapter(Path dir, DecoderConfig model, long seed, int r) throws IOException {
    // The builder's targets are the seven projections.
    LoraConfig config =
        LoraConfig.builder()
            .r(r)
            .loraAlpha(2.0 * r)
            .loraDropout(0)
            .initLoraWeights(InitLoraWeights.RANDOM)
            .build();
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
        long id = (long) (RandomWeights.uniform(seed, -1, i) * vocab);
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
