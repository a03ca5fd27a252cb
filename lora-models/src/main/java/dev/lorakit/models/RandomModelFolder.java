package dev.lorakit.models;

import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.core.tensor.HalfPrecision;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the weights of a {@link RandomWeights} model into a Hugging Face model folder: one {@code
 * model.safetensors}, or shards named as transformers names them and listed by {@code
 * model.safetensors.index.json}. Each tensor is drawn in parallel straight into its stored dtype,
 * so a 7B model needs no float copy of a shard.
 */
public final class RandomModelFolder {

  private RandomModelFolder() {}

  /**
   * Writes {@code config.json} ({@link LlamaConfigJson}, {@code torch_dtype} named after {@code
   * dtype}) and the weights of {@code weights} for a decoder of shape {@code c} into {@code dir}
   * (created if needed), stored as {@code dtype} (F32, F16 or BF16), in shards of at most {@code
   * maxShardBytes} when they do not fit in one file.
   */
  public static void write(
      Path dir, DecoderConfig c, RandomWeights weights, SafeTensorsDtype dtype, long maxShardBytes)
      throws IOException {
    writeWeights(dir, weights.tensors(c), dtype, maxShardBytes);
    String dtypeName =
        switch (dtype) {
          case F32 -> "float32";
          case F16 -> "float16";
          case BF16 -> "bfloat16";
          default -> throw new IllegalArgumentException("Random weights are F32, F16 or BF16.");
        };
    TextFiles.writeAtomically(
        dir.resolve("config.json"),
        LlamaConfigJson.of(
            c.vocab(),
            c.hidden(),
            c.intermediate(),
            c.layers(),
            c.heads(),
            c.kvHeads(),
            c.maxPositions(),
            dtypeName));
  }

  /** The weight files alone: the tensors of {@code tensors}, as {@link #write} stores them. */
  public static void writeWeights(
      Path dir, List<RandomWeights.Draw> tensors, SafeTensorsDtype dtype, long maxShardBytes)
      throws IOException {
    Files.createDirectories(dir);
    long size = dtype.byteSize();
    List<List<RandomWeights.Draw>> shards = new ArrayList<>();
    List<RandomWeights.Draw> current = new ArrayList<>();
    long bytes = 0;
    long total = 0;
    for (RandomWeights.Draw d : tensors) {
      if (!current.isEmpty() && bytes + size * d.count() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(d);
      bytes += size * d.count();
      total += size * d.count();
    }
    shards.add(current);
    StringBuilder index =
        new StringBuilder(
            "{\n  \"metadata\": {\"total_size\": " + total + "},\n  \"weight_map\": {\n");
    for (int s = 0; s < shards.size(); s++) {
      String file =
          shards.size() == 1
              ? SafeTensors.SINGLE_FILE
              : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
      writeShard(dir.resolve(file), shards.get(s), dtype);
      for (RandomWeights.Draw d : shards.get(s)) {
        index.append("    \"").append(d.name()).append("\": \"").append(file).append("\",\n");
      }
    }
    if (shards.size() > 1) {
      index.setLength(index.length() - 2);
      index.append("\n  }\n}\n");
      TextFiles.writeAtomically(dir.resolve(SafeTensors.INDEX_FILE), index.toString());
    }
  }

  private static final ValueLayout.OfShort HALF =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private static void writeShard(
      Path file, List<RandomWeights.Draw> tensors, SafeTensorsDtype dtype) throws IOException {
    try (Arena arena = Arena.ofShared()) {
      SafeTensorsWriter writer = SafeTensorsWriter.create().metadata("format", "pt");
      for (RandomWeights.Draw d : tensors) {
        MemorySegment values = arena.allocate(dtype.byteSize() * d.count(), 4);
        RandomWeights.Draw.Sink store =
            switch (dtype) {
              case BF16 -> (i, v) -> values.set(HALF, 2 * i, HalfPrecision.floatToBf16(v));
              case F16 -> (i, v) -> values.set(HALF, 2 * i, HalfPrecision.floatToF16(v));
              default -> (i, v) -> values.set(F32, 4 * i, v);
            };
        d.forEach(store);
        writer.add(d.name(), dtype, d.shape(), values);
      }
      writer.write(file);
    }
  }
}
