package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a multi-gigabyte checkpoint reads headers only: the weights stay on disk, off the heap;
 * and so do bf16 weights used by the CPU's bf16 decoder.
 */
class ModelFolderHeapTest {

  /**
   * 11 layers of width 2048 in float32: about 2.6 GiB of weights, past the 2^31 bytes a ByteBuffer
   * can map.
   */
  private static final String CONFIG =
      """
      {"model_type": "llama", "vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632,
       "num_hidden_layers": 11, "num_attention_heads": 16, "num_key_value_heads": 16, "rms_norm_eps": 1e-5,
       "torch_dtype": "float32"}""";

  @Test
  void aSparseTwoAndAHalfGibCheckpointCostsNoHeap(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("config.json"), CONFIG);
    long dataBytes =
        writeSparseCheckpoint(
            dir.resolve("model.safetensors"), ModelConfig.parse(CONFIG, "config.json"));
    assertTrue(dataBytes > (1L << 31) + (1L << 29), "only " + dataBytes + " bytes");

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long before = memory.getHeapMemoryUsage().getUsed();
    try (ModelFolder folder = ModelFolder.open(dir)) {
      System.gc();
      long grown = memory.getHeapMemoryUsage().getUsed() - before;
      System.err.printf(
          "opening a %.2f GiB checkpoint grew the used heap by %.2f MiB%n",
          dataBytes / (double) (1L << 30), grown / (double) (1L << 20));
      assertTrue(grown < 64L << 20, "used heap grew by " + grown + " bytes");

      // The last tensor lies beyond 2 GiB and reads back (as zeros: the file is a hole there).
      ModelWeights w = folder.weights();
      assertTrue(w.lmHead().begin() > 1L << 31, w.lmHead().toString());
      MemorySegment lmHead = w.segment(w.lmHead());
      assertEquals(32000L * 2048 * 4, lmHead.byteSize());
      assertEquals(0f, lmHead.get(ValueLayout.JAVA_FLOAT_UNALIGNED, lmHead.byteSize() - 4));
    }
  }

  /**
   * bf16 weights for a bf16 decoder on the CPU stay in the mapped file: building the decoder's
   * weights from a 1.3 GiB bf16 checkpoint (2.6 GiB as float32) grows the heap by a few MiB, and
   * the weights compute (an embedding lookup and a product with the output head read the file's
   * zeros).
   */
  @Test
  void bf16WeightsForTheCpusBf16DecoderAreNotCopied(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("config.json"), CONFIG.replace("float32", "bfloat16"));
    long dataBytes =
        writeSparseCheckpoint(
            dir.resolve("model.safetensors"), ModelConfig.parse(CONFIG, "config.json"), "BF16", 2);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (CpuBackend cpu = new CpuBackend(2);
        ModelFolder folder = ModelFolder.open(dir)) {
      System.gc();
      long before = memory.getHeapMemoryUsage().getUsed();
      DecoderWeights w = folder.decoderWeights(cpu, Precision.BF16);
      System.gc();
      long grown = memory.getHeapMemoryUsage().getUsed() - before;
      System.err.printf(
          "bf16 decoder weights of a %.2f GiB bf16 checkpoint (%.2f GiB as float32) grew the used heap "
              + "by %.2f MiB%n",
          dataBytes / (double) (1L << 30),
          2 * dataBytes / (double) (1L << 30),
          grown / (double) (1L << 20));
      assertTrue(grown < 64L << 20, "used heap grew by " + grown + " bytes");
      assertEquals(DType.BF16, w.lmHead().dtype());
      Tensor x = cpu.zeros(DType.F32, Shape.of(1, 2048));
      cpu.embedding(w.embed(), new int[] {31999}, x);
      cpu.fill(x, 1f);
      Tensor logits = cpu.zeros(DType.F32, Shape.of(1, 32000));
      cpu.fill(logits, Float.NaN);
      cpu.matmul(x, false, w.lmHead(), true, logits, 1, 0);
      assertEquals(0f, cpu.download(logits)[31999]);
      w.close();
    }
  }

  private static long writeSparseCheckpoint(Path file, ModelConfig config) throws IOException {
    return writeSparseCheckpoint(file, config, "F32", 4);
  }

  /**
   * Writes a safetensors header for every tensor the config calls for ({@code dtype} of {@code
   * size} bytes, in checkpoint order) and makes the data area a hole by writing only its last byte.
   * Returns the size of the data area.
   */
  private static long writeSparseCheckpoint(Path file, ModelConfig config, String dtype, int size)
      throws IOException {
    StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
    long offset = 0;
    for (Map.Entry<String, WeightMap.Expected> e : WeightMap.expected(config).entrySet()) {
      long[] shape = e.getValue().shape();
      long bytes = size;
      StringBuilder dims = new StringBuilder();
      for (long d : shape) {
        bytes *= d;
        dims.append(dims.isEmpty() ? "" : ",").append(d);
      }
      header
          .append(",\"")
          .append(e.getKey())
          .append("\":{\"dtype\":\"")
          .append(dtype)
          .append("\",\"shape\":[")
          .append(dims)
          .append("],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + bytes)
          .append("]}");
      offset += bytes;
    }
    header.append('}');
    while ((header.length() % 8) != 0) header.append(' ');
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer prefix = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(json.length).put(json).flip();
      ch.write(prefix);
      ch.position(8 + json.length + offset - 1);
      ch.write(ByteBuffer.wrap(new byte[1]));
    }
    return offset;
  }
}
