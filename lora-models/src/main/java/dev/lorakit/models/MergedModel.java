package dev.lorakit.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A model folder with an adapter folded into its weights ({@code W + scale * B A} for every adapted
 * projection), which transformers and lorakit load without the adapter: sharded as the input is
 * (one {@code model.safetensors}, or the same shards with the same index), each tensor in its own
 * dtype, {@code config.json} and the tokenizer files copied.
 */
public final class MergedModel {

  /** Files copied unchanged when present. */
  private static final List<String> COPIED =
      List.of(
          "config.json",
          "generation_config.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "tokenizer.model",
          "special_tokens_map.json");

  private MergedModel() {}

  /**
   * Writes the merged model's files into the existing folder {@code into}.
   *
   * @param modelDir the base model folder
   * @param lora the adapter, made for that model
   * @param backend where the products are computed
   * @return the number of projections merged
   * @throws LorakitInputException when the model folder has no weights
   */
  public static int write(Path modelDir, LoraWeights lora, Path into, Backend backend)
      throws IOException {
    Map<String, LoraWeights.Pair> adapted = new HashMap<>();
    for (LoraWeights.Pair p : lora.pairs()) {
      adapted.put("model.layers." + p.layer() + "." + p.target().modulePath() + ".weight", p);
    }
    for (String shard : shards(modelDir)) {
      writeShard(modelDir.resolve(shard), into.resolve(shard), adapted, backend);
    }
    if (Files.exists(modelDir.resolve(SafeTensors.INDEX_FILE))) {
      Files.copy(modelDir.resolve(SafeTensors.INDEX_FILE), into.resolve(SafeTensors.INDEX_FILE));
    }
    for (String name : COPIED) {
      if (Files.isRegularFile(modelDir.resolve(name)))
        Files.copy(modelDir.resolve(name), into.resolve(name));
    }
    return adapted.size();
  }

  /** The bytes of the model's weight files: about what a merge writes. */
  public static long weightBytes(Path modelDir) throws IOException {
    long bytes = 0;
    for (String shard : shards(modelDir)) bytes += Files.size(modelDir.resolve(shard));
    return bytes;
  }

  /**
   * The weight files of {@code dir}: the index's shards in order of first mention, or
   * model.safetensors.
   */
  public static List<String> shards(Path dir) throws IOException {
    Path index = dir.resolve(SafeTensors.INDEX_FILE);
    if (!Files.exists(index)) {
      if (!Files.isRegularFile(dir.resolve(SafeTensors.SINGLE_FILE))) {
        throw new LorakitInputException(
            dir
                + " has neither "
                + SafeTensors.SINGLE_FILE
                + " nor "
                + SafeTensors.INDEX_FILE
                + ".");
      }
      return List.of(SafeTensors.SINGLE_FILE);
    }
    JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
    if (!map.isObject()) throw new LorakitInputException(index + " has no \"weight_map\" object.");
    LinkedHashSet<String> files = new LinkedHashSet<>();
    map.properties().forEach(e -> files.add(e.getValue().asText()));
    return new ArrayList<>(files);
  }

  private static void writeShard(
      Path in, Path outFile, Map<String, LoraWeights.Pair> adapted, Backend backend)
      throws IOException {
    try (SafeTensorsFile src = SafeTensorsFile.open(in)) {
      SafeTensorsWriter w = SafeTensorsWriter.create();
      src.metadata().forEach(w::metadata);
      for (String name : src.names()) {
        TensorInfo info = src.info(name);
        LoraWeights.Pair p = adapted.get(name);
        if (p == null) {
          w.add(name, info.dtype(), info.shape(), src.segment(name));
          continue;
        }
        int rows = Math.toIntExact(info.dim(0));
        int cols = Math.toIntExact(info.dim(1));
        try (Tensor t = backend.upload(src.floats(name), DType.F32, Shape.of(rows, cols))) {
          backend.matmul(p.b(), false, p.a(), false, t, p.scale(), 1);
          w.addFloats(name, info.shape(), backend.download(t), info.dtype());
        }
      }
      w.write(outFile);
    }
  }
}
