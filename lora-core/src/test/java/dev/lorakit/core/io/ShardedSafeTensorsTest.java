package dev.lorakit.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedSafeTensorsTest {
  @TempDir Path dir;

  private static final String INDEX =
      """
            {"metadata": {"total_size": 48, "note": "three shards"},
             "weight_map": {
               "model.embed_tokens.weight": "model-00001-of-00003.safetensors",
               "model.layers.0.mlp.up_proj.weight": "model-00002-of-00003.safetensors",
               "model.layers.0.mlp.down_proj.weight": "model-00002-of-00003.safetensors",
               "lm_head.weight": "model-00003-of-00003.safetensors"}}""";

  private static void shard(Path file, String... names) throws IOException {
    SafeTensorsWriter writer = SafeTensorsWriter.create().metadata("format", "pt");
    for (String name : names) {
      float seed = name.length();
      writer.addFloats(
          name,
          new long[] {2, 2},
          new float[] {seed, seed + 1, seed + 2, seed + 3},
          SafeTensorsDtype.BF16);
    }
    writer.write(file);
  }

  private Path checkpoint(String index) throws IOException {
    shard(dir.resolve("model-00001-of-00003.safetensors"), "model.embed_tokens.weight");
    shard(
        dir.resolve("model-00002-of-00003.safetensors"),
        "model.layers.0.mlp.up_proj.weight",
        "model.layers.0.mlp.down_proj.weight");
    shard(dir.resolve("model-00003-of-00003.safetensors"), "lm_head.weight");
    return Files.writeString(dir.resolve(SafeTensors.INDEX_FILE), index);
  }

  @Test
  void readsTensorsAcrossShardsOpeningEachOnFirstUse() throws IOException {
    checkpoint(INDEX);
    try (TensorSource source = SafeTensors.open(dir)) {
      ShardedSafeTensors sharded = assertInstanceOf(ShardedSafeTensors.class, source);
      assertEquals(
          List.of(
              "model.embed_tokens.weight",
              "model.layers.0.mlp.up_proj.weight",
              "model.layers.0.mlp.down_proj.weight",
              "lm_head.weight"),
          List.copyOf(sharded.names()));
      assertEquals(Map.of("total_size", "48", "note", "three shards"), sharded.metadata());
      assertEquals(3, sharded.shardFiles().size());
      assertEquals(0, sharded.openShardCount(), "opening maps no shard");

      float n = "lm_head.weight".length();
      assertArrayEquals(new float[] {n, n + 1, n + 2, n + 3}, sharded.floats("lm_head.weight"));
      assertEquals(1, sharded.openShardCount());
      assertEquals(
          SafeTensorsDtype.BF16, sharded.info("model.layers.0.mlp.up_proj.weight").dtype());
      assertEquals(8, sharded.segment("model.layers.0.mlp.down_proj.weight").byteSize());
      assertEquals(2, sharded.openShardCount(), "two tensors of one shard map it once");
      assertTrue(sharded.contains("model.embed_tokens.weight"));
    }
  }

  @Test
  void aCorruptShardFailsOnlyWhenOneOfItsTensorsIsRead() throws IOException {
    checkpoint(INDEX);
    Files.write(dir.resolve("model-00001-of-00003.safetensors"), new byte[] {9, 9});
    try (ShardedSafeTensors sharded =
        ShardedSafeTensors.open(dir.resolve(SafeTensors.INDEX_FILE))) {
      assertEquals(4, sharded.floats("lm_head.weight").length);
      SafeTensorsException e =
          assertThrows(
              SafeTensorsException.class, () -> sharded.floats("model.embed_tokens.weight"));
      assertTrue(e.getMessage().contains("model-00001-of-00003.safetensors"), e.getMessage());
    }
  }

  @Test
  void aShardNamedInTheIndexThatIsMissing() throws IOException {
    Path index = checkpoint(INDEX);
    Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
    SafeTensorsException e =
        assertThrows(SafeTensorsException.class, () -> ShardedSafeTensors.open(index));
    assertTrue(
        e.getMessage().contains(SafeTensors.INDEX_FILE)
            && e.getMessage().contains("shard model-00002-of-00003.safetensors")
            && e.getMessage().contains("\"model.layers.0.mlp.up_proj.weight\"")
            && e.getMessage().contains("does not exist"),
        e.getMessage());
  }

  @Test
  void aTensorNamedInTheIndexButMissingFromItsShard() throws IOException {
    Path index =
        checkpoint(
            INDEX.replace(
                "\"lm_head.weight\": \"model-00003",
                "\"lm_head.bias\": \"model-00003-of-00003.safetensors\", \"lm_head.weight\": \"model-00003"));
    try (ShardedSafeTensors sharded = ShardedSafeTensors.open(index)) {
      SafeTensorsException e =
          assertThrows(SafeTensorsException.class, () -> sharded.info("lm_head.weight"));
      assertTrue(
          e.getMessage().contains(SafeTensors.INDEX_FILE)
              && e.getMessage().contains("\"lm_head.bias\"")
              && e.getMessage().contains("model-00003-of-00003.safetensors")
              && e.getMessage().contains("has no tensor of that name"),
          e.getMessage());
    }
  }

  @Test
  void aTensorTheIndexDoesNotName() throws IOException {
    try (ShardedSafeTensors sharded = ShardedSafeTensors.open(checkpoint(INDEX))) {
      SafeTensorsException e =
          assertThrows(SafeTensorsException.class, () -> sharded.segment("nope.weight"));
      assertTrue(
          e.getMessage().contains("\"nope.weight\"")
              && e.getMessage().contains(SafeTensors.INDEX_FILE),
          e.getMessage());
    }
  }

  @Test
  void anIndexThatIsNotJsonOrHasNoWeightMap() throws IOException {
    Path broken = Files.writeString(dir.resolve("a.index.json"), "{\"weight_map\": ");
    SafeTensorsException e =
        assertThrows(SafeTensorsException.class, () -> ShardedSafeTensors.open(broken));
    assertTrue(
        e.getMessage().contains("a.index.json") && e.getMessage().contains("not valid JSON"),
        e.getMessage());
    Path noMap = Files.writeString(dir.resolve("b.index.json"), "{\"metadata\": {}}");
    e = assertThrows(SafeTensorsException.class, () -> ShardedSafeTensors.open(noMap));
    assertTrue(
        e.getMessage().contains("b.index.json") && e.getMessage().contains("\"weight_map\""),
        e.getMessage());
    Path dup =
        Files.writeString(
            dir.resolve("c.index.json"),
            "{\"weight_map\": {\"w\": \"x.safetensors\", \"w\": \"y.safetensors\"}}");
    e = assertThrows(SafeTensorsException.class, () -> ShardedSafeTensors.open(dup));
    assertTrue(
        e.getMessage().contains("c.index.json") && e.getMessage().contains("Duplicate field 'w'"),
        e.getMessage());
  }

  @Test
  void aShardOutsideTheIndexFolderIsRefused() throws IOException {
    Path index =
        Files.writeString(
            dir.resolve("d.index.json"), "{\"weight_map\": {\"w\": \"../elsewhere.safetensors\"}}");
    SafeTensorsException e =
        assertThrows(SafeTensorsException.class, () -> ShardedSafeTensors.open(index));
    assertTrue(
        e.getMessage().contains("../elsewhere.safetensors") && e.getMessage().contains("\"w\""),
        e.getMessage());
  }

  @Test
  void aFolderOpensItsSingleFileAndRefusesAmbiguity() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("m"));
    IOException none = assertThrows(IOException.class, () -> SafeTensors.open(folder));
    assertTrue(none.getMessage().contains("no model.safetensors.index.json"), none.getMessage());

    shard(folder.resolve("weights.safetensors"), "a");
    try (TensorSource source = SafeTensors.open(folder)) {
      assertEquals(folder.resolve("weights.safetensors"), source.path());
    }
    shard(folder.resolve("other.safetensors"), "b");
    IOException several = assertThrows(IOException.class, () -> SafeTensors.open(folder));
    assertTrue(
        several.getMessage().contains("other.safetensors")
            && several.getMessage().contains("weights.safetensors"),
        several.getMessage());

    shard(folder.resolve(SafeTensors.SINGLE_FILE), "c");
    try (TensorSource source = SafeTensors.open(folder)) {
      assertEquals(
          List.of("c"), List.copyOf(source.names()), "model.safetensors wins over other files");
    }
    try (TensorSource source = SafeTensors.open(folder.resolve("other.safetensors"))) {
      assertEquals(List.of("b"), List.copyOf(source.names()));
    }
    assertThrows(IOException.class, () -> SafeTensors.open(folder.resolve("absent.safetensors")));
  }
}
