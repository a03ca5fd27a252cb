package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelFolderTest {

  /**
   * The folders transformers wrote: every name maps to the tensor holding the bytes the header
   * says.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window"})
  void opensTheTransformersFixtures(String model) throws IOException {
    Path dir = Fixtures.resource("hf/" + model + "/base");
    Path file = dir.resolve("model.safetensors");
    JsonNode header = new ObjectMapper().readTree(Fixtures.safetensorsHeader(file));
    long dataStart = 8 + Fixtures.safetensorsHeader(file).getBytes(StandardCharsets.UTF_8).length;
    try (ModelFolder folder = ModelFolder.open(dir)) {
      ModelConfig c = folder.config();
      ModelWeights w = folder.weights();
      assertEquals(ModelConfig.read(dir.resolve("config.json")), c);
      assertEquals(c.layers() * 9 + 3, header.size() - (header.has("__metadata__") ? 1 : 0));
      assertArrayEquals(new long[] {c.vocab(), 64}, w.embedding().shape());
      assertArrayEquals(
          new long[] {c.kvWidth(), 64}, w.layer(c.layers() - 1, LayerWeight.K_PROJ).shape());
      assertEquals("lm_head.weight", w.lmHead().name());
      assertEquals(Optional.empty(), folder.tokenizerJson());
      // Independent of the reader: the first float of every tensor, read by hand from the file.
      try (FileChannel ch = FileChannel.open(file)) {
        for (int layer = 0; layer < c.layers(); layer++) {
          for (LayerWeight lw : LayerWeight.values()) {
            TensorInfo t = w.layer(layer, lw);
            assertEquals(lw.tensorName(layer), t.name());
            long begin = header.get(t.name()).get("data_offsets").get(0).longValue();
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, dataStart + begin);
            assertEquals(b.getFloat(0), w.floats(t)[0], t.name());
          }
        }
      }
    }
  }

  /**
   * transformers leaves lm_head.weight out of a tied model's file; the head is then the embedding
   * itself.
   */
  @Test
  void opensTheTiedTransformersFixture() throws IOException {
    Path dir = Fixtures.resource("hf/tiny-llama-tied/base");
    JsonNode header =
        new ObjectMapper().readTree(Fixtures.safetensorsHeader(dir.resolve("model.safetensors")));
    assertFalse(header.has("lm_head.weight"));
    try (ModelFolder folder = ModelFolder.open(dir)) {
      ModelConfig c = folder.config();
      ModelWeights w = folder.weights();
      assertTrue(c.tiedEmbeddings());
      assertEquals(c.layers() * 9 + 2, header.size() - (header.has("__metadata__") ? 1 : 0));
      assertSame(w.embedding(), w.lmHead());
      assertArrayEquals(new long[] {211, 48}, w.embedding().shape());
      assertArrayEquals(new long[] {16, 48}, w.layer(1, LayerWeight.K_PROJ).shape());
      assertArrayEquals(new long[] {136, 48}, w.layer(1, LayerWeight.GATE_PROJ).shape());
    }
  }

  @Test
  void singleFileWithTiedEmbeddings(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(true);
    assertFalse(ckpt.tensors.containsKey("lm_head.weight"));
    try (ModelFolder folder = ModelFolder.open(ckpt.writeSingle(tmp.resolve("m")))) {
      ModelWeights w = folder.weights();
      assertSame(w.embedding(), w.lmHead());
      assertEquals(SafeTensorsDtype.BF16, w.embedding().dtype());
      assertArrayEquals(new long[] {4, 8}, w.layer(1, LayerWeight.V_PROJ).shape());
      assertArrayEquals(new long[] {8, 8}, w.layer(1, LayerWeight.O_PROJ).shape());
      assertArrayEquals(new long[] {8, 12}, w.layer(0, LayerWeight.DOWN_PROJ).shape());
      assertEquals(40 * 8 * 2, w.segment(w.embedding()).byteSize());
      float[] expected = bf16(ckpt.tensors.get("model.layers.1.mlp.gate_proj.weight").values());
      assertArrayEquals(expected, w.floats(w.layer(1, LayerWeight.GATE_PROJ)));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 7})
  void shardedCheckpoint(int shards, @TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(false);
    Path dir = ckpt.writeSharded(tmp.resolve("m"), shards);
    try (ModelFolder folder = ModelFolder.open(dir)) {
      ModelWeights w = folder.weights();
      assertEquals(dir.resolve("model.safetensors.index.json"), w.source().path());
      assertEquals("lm_head.weight", w.lmHead().name());
      for (int layer = 0; layer < 2; layer++) {
        for (LayerWeight lw : LayerWeight.values()) {
          float[] expected = bf16(ckpt.tensors.get(lw.tensorName(layer)).values());
          assertArrayEquals(expected, w.floats(w.layer(layer, lw)), lw.tensorName(layer));
        }
      }
      assertArrayEquals(bf16(ckpt.tensors.get("lm_head.weight").values()), w.floats(w.lmHead()));
    }
  }

  @Test
  void missingTensorIsNamedWithItsShape(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(false);
    ckpt.tensors.remove("model.layers.1.mlp.up_proj.weight");
    Path dir = ckpt.writeSingle(tmp.resolve("m"));
    String m = refused(dir);
    assertEquals(
        dir.resolve("model.safetensors")
            + " has no tensor \"model.layers.1.mlp.up_proj.weight\", which "
            + dir.resolve("config.json")
            + " (intermediate_size 12, hidden_size 8) calls for with shape [12, 8].",
        m);
  }

  @Test
  void missingLmHeadOfAnUntiedModelIsNamed(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(false);
    ckpt.tensors.remove("lm_head.weight");
    String m = refused(ckpt.writeSharded(tmp.resolve("m"), 2));
    assertTrue(m.contains("model.safetensors.index.json has no tensor \"lm_head.weight\""), m);
    assertTrue(m.contains("(vocab_size 40, hidden_size 8) calls for with shape [40, 8]."), m);
  }

  @Test
  void misShapedTensorIsNamedWithExpectedAndActualShape(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(false);
    // A checkpoint saved without grouped-query attention: k_proj as wide as q_proj.
    ckpt.put("model.layers.0.self_attn.k_proj.weight", new long[] {8, 8}, SafeTensorsDtype.BF16);
    Path dir = ckpt.writeSingle(tmp.resolve("m"));
    assertEquals(
        dir.resolve("model.safetensors")
            + ": tensor \"model.layers.0.self_attn.k_proj.weight\" has shape [8, 8], but "
            + dir.resolve("config.json")
            + " (num_key_value_heads 1 x head_dim 4, hidden_size 8) needs [4, 8].",
        refused(dir));
  }

  @Test
  void unexpectedTensorIsNamed(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(true);
    ckpt.put("model.layers.2.mlp.up_proj.weight", new long[] {12, 8}, SafeTensorsDtype.F32);
    Path dir = ckpt.writeSingle(tmp.resolve("m"));
    assertEquals(
        dir.resolve("model.safetensors")
            + " holds tensor \"model.layers.2.mlp.up_proj.weight\" [12, 8], which a mistral"
            + " model as "
            + dir.resolve("config.json")
            + " describes it (2 layers, tie_word_embeddings true) does not have.",
        refused(dir));
  }

  @Test
  void severalProblemsAreCounted(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(false);
    ckpt.tensors.remove("model.norm.weight");
    ckpt.tensors.remove("model.layers.0.input_layernorm.weight");
    ckpt.put("model.layers.0.self_attn.q_proj.bias", new long[] {8}, SafeTensorsDtype.F32);
    String m = refused(ckpt.writeSingle(tmp.resolve("m")));
    assertTrue(m.contains("has no tensor \"model.layers.0.input_layernorm.weight\""), m);
    assertTrue(m.endsWith(" (and 2 more problems with this checkpoint)."), m);
  }

  @Test
  void integerWeightsAreRefused(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(true);
    Path dir = ckpt.writeSingle(tmp.resolve("m"));
    // Rewrite the final norm as I32 bytes of the right shape.
    var w = dev.lorakit.core.io.SafeTensorsWriter.create();
    ckpt.tensors.forEach(
        (name, t) -> {
          if (!name.equals("model.norm.weight"))
            w.addFloats(name, t.shape(), t.values(), t.dtype());
        });
    w.add(
        "model.norm.weight",
        SafeTensorsDtype.I32,
        new long[] {8},
        MemorySegment.ofArray(
            new byte[8 * 4])); // byte[]: the writer cannot take int[]-backed segments
    w.write(dir.resolve("model.safetensors"));
    String m = refused(dir);
    assertTrue(
        m.endsWith(
            ": tensor \"model.norm.weight\" is I32, but model weights must be F32, F16, BF16 or F64."),
        m);
  }

  @Test
  void toleratesWhatTransformersIgnores(@TempDir Path tmp) throws IOException {
    SyntheticCheckpoint ckpt = new SyntheticCheckpoint(true);
    ckpt.put("model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {2}, SafeTensorsDtype.F32);
    ckpt.put(
        "lm_head.weight",
        new long[] {40, 8},
        SafeTensorsDtype.BF16); // tied: replaced by the embedding
    try (ModelFolder folder = ModelFolder.open(ckpt.writeSingle(tmp.resolve("m")))) {
      assertEquals("model.embed_tokens.weight", folder.weights().lmHead().name());
    }
    // ... but an lm_head of the wrong shape is still an error.
    ckpt.put("lm_head.weight", new long[] {41, 8}, SafeTensorsDtype.BF16);
    String m = refused(ckpt.writeSingle(tmp.resolve("m")));
    assertTrue(m.contains("holds tensor \"lm_head.weight\" [41, 8]"), m);
  }

  @Test
  void folderProblems(@TempDir Path tmp) throws IOException {
    assertThrows(NoSuchFileException.class, () -> ModelFolder.open(tmp.resolve("absent")));
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    var e = assertThrows(NoSuchFileException.class, () -> ModelFolder.open(empty));
    assertEquals(empty.resolve("config.json").toString(), e.getFile());
    Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
    Files.writeString(noWeights.resolve("config.json"), new SyntheticCheckpoint(true).configJson);
    var io = assertThrows(IOException.class, () -> ModelFolder.open(noWeights));
    assertTrue(io.getMessage().contains("no model.safetensors"), io.getMessage());
    Path file = Files.writeString(tmp.resolve("file.json"), "{}");
    var iae = assertThrows(LorakitInputException.class, () -> ModelFolder.open(file));
    assertTrue(
        iae.getMessage().startsWith(file + " is a file, not a model folder"), iae.getMessage());
  }

  @Test
  void opensTheFoldersTokenizerWithTheModelsSpecialTokens(@TempDir Path tmp) throws IOException {
    Path dir = new SyntheticCheckpoint(true).writeSingle(tmp.resolve("m"));
    try (ModelFolder folder = ModelFolder.open(dir)) {
      assertThrows(NoSuchFileException.class, folder::openTokenizer);
    }
  }

  private static String refused(Path dir) {
    var e = assertThrows(LorakitInputException.class, () -> ModelFolder.open(dir).close());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  /** What storing as bf16 (round to nearest even) leaves of each value. */
  private static float[] bf16(float[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      int bits = Float.floatToRawIntBits(values[i]);
      bits += 0x7FFF + ((bits >>> 16) & 1);
      out[i] = Float.intBitsToFloat(bits & 0xFFFF0000);
    }
    return out;
  }
}
