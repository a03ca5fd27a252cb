package dev.lorakit.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split over several safetensors files, as Hugging Face publishes large models: {@code
 * model.safetensors.index.json} maps every tensor name to the shard file that holds it ({@code
 * "weight_map"}), and may carry {@code "metadata"} such as {@code total_size}.
 *
 * <p>Opening reads the index and checks that every shard it names exists; a shard is mapped the
 * first time one of its tensors is asked for, and then checked to hold every tensor the index
 * places in it.
 */
public final class ShardedSafeTensors implements TensorSource {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private final Path index;
  private final Map<String, String> weightMap;
  private final Map<String, String> metadata;
  private final Map<String, SafeTensorsFile> openShards = new HashMap<>();
  private boolean closed;

  private ShardedSafeTensors(
      Path index, Map<String, String> weightMap, Map<String, String> metadata) {
    this.index = index;
    this.weightMap = Collections.unmodifiableMap(weightMap);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  /**
   * Reads a sharded checkpoint's index.
   *
   * @throws SafeTensorsException when the index is not valid, or names a shard that does not exist
   */
  public static ShardedSafeTensors open(Path indexJson) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(indexJson.toFile());
    } catch (JsonProcessingException e) {
      throw new SafeTensorsException(
          indexJson + " is not valid JSON (" + TextFiles.jsonProblem(e) + ").", e);
    }
    if (root == null || !root.isObject()) {
      throw new SafeTensorsException(indexJson + " is not a JSON object with a \"weight_map\".");
    }
    JsonNode map = root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new SafeTensorsException(
          indexJson + " has no \"weight_map\" object mapping tensor names to shard files.");
    }
    Path folder = indexJson.toAbsolutePath().getParent();
    Map<String, String> weightMap = new LinkedHashMap<>();
    Set<String> checkedShards = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> entry : map.properties()) {
      String tensor = entry.getKey();
      if (!entry.getValue().isTextual()) {
        throw new SafeTensorsException(
            indexJson + ": the weight_map entry for tensor \"" + tensor + "\" is not a file name.");
      }
      String shard = entry.getValue().asText();
      Path shardPath = folder.resolve(shard).normalize();
      if (shard.isEmpty() || !shardPath.getParent().equals(folder.normalize())) {
        throw new SafeTensorsException(
            indexJson
                + ": tensor \""
                + tensor
                + "\" is placed in \""
                + shard
                + "\", which is not a file name in the index's folder.");
      }
      if (checkedShards.add(shard) && !Files.isRegularFile(shardPath)) {
        throw new SafeTensorsException(
            indexJson
                + " places tensor \""
                + tensor
                + "\" in shard "
                + shard
                + ", but "
                + shardPath
                + " does not exist.");
      }
      weightMap.put(tensor, shard);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode meta = root.get("metadata");
    if (meta != null && meta.isObject()) {
      for (Map.Entry<String, JsonNode> e : meta.properties()) {
        metadata.put(
            e.getKey(),
            e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
      }
    }
    return new ShardedSafeTensors(indexJson, weightMap, metadata);
  }

  @Override
  public Path path() {
    return index;
  }

  @Override
  public Set<String> names() {
    return weightMap.keySet();
  }

  @Override
  public boolean contains(String name) {
    return weightMap.containsKey(name);
  }

  /** The shard file names, in the order the index first mentions them. */
  public List<String> shardFiles() {
    return List.copyOf(new LinkedHashSet<>(weightMap.values()));
  }

  @Override
  public TensorInfo info(String name) throws SafeTensorsException {
    try {
      return shardOf(name).info(name);
    } catch (SafeTensorsException e) {
      throw e;
    } catch (IOException e) {
      throw new SafeTensorsException(
          index
              + ": shard "
              + weightMap.get(name)
              + " holding tensor \""
              + name
              + "\" cannot be read ("
              + e.getMessage()
              + ").",
          e);
    }
  }

  @Override
  public MemorySegment segment(String name) throws IOException {
    return shardOf(name).segment(name);
  }

  /** The index's {@code "metadata"} (for example {@code total_size}), every value as text. */
  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  private SafeTensorsFile shardOf(String name) throws IOException {
    String shard = weightMap.get(name);
    if (shard == null) {
      throw new SafeTensorsException(index + " names no tensor \"" + name + "\".");
    }
    return shard(shard);
  }

  private synchronized SafeTensorsFile shard(String shard) throws IOException {
    if (closed) {
      throw new IllegalStateException(index + " is closed");
    }
    SafeTensorsFile file = openShards.get(shard);
    if (file == null) {
      Path path = index.toAbsolutePath().getParent().resolve(shard);
      if (!Files.isRegularFile(path)) {
        throw new SafeTensorsException(
            index + " names shard " + shard + ", but " + path + " does not exist.");
      }
      file = SafeTensorsFile.open(path);
      for (Map.Entry<String, String> e : weightMap.entrySet()) {
        if (e.getValue().equals(shard) && !file.contains(e.getKey())) {
          file.close();
          throw new SafeTensorsException(
              index
                  + " places tensor \""
                  + e.getKey()
                  + "\" in shard "
                  + shard
                  + ", but "
                  + path
                  + " has no tensor of that name.");
        }
      }
      openShards.put(shard, file);
    }
    return file;
  }

  /** How many shards are mapped so far. */
  synchronized int openShardCount() {
    return openShards.size();
  }

  @Override
  public synchronized void close() {
    closed = true;
    openShards.values().forEach(SafeTensorsFile::close);
    openShards.clear();
  }

  @Override
  public String toString() {
    return "ShardedSafeTensors["
        + index
        + ", "
        + weightMap.size()
        + " tensors in "
        + shardFiles().size()
        + " shards]";
  }
}
