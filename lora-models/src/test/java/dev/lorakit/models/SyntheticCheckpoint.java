package dev.lorakit.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.RandomWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small model folders for tests of what a folder may hold: a config.json and the tensors of {@link
 * RandomWeights}, which a test may remove, replace or add to before writing them whole or in
 * shards.
 */
final class SyntheticCheckpoint {

  /** A tensor to write. */
  record Tensor(long[] shape, float[] values, SafeTensorsDtype dtype) {}

  final String configJson;
  final Map<String, Tensor> tensors = new LinkedHashMap<>();

  /**
   * A tiny Mistral (vocab 40, hidden 8, 2 layers, 2 query heads sharing 1 kv head) with every
   * tensor it needs.
   */
  SyntheticCheckpoint(boolean tied) {
    this(
        """
        {"model_type": "mistral", "vocab_size": 40, "hidden_size": 8, "intermediate_size": 12,
         "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "sliding_window": 4,
         "rms_norm_eps": 1e-5, "tie_word_embeddings": %s, "torch_dtype": "bfloat16"}"""
            .formatted(tied));
  }

  SyntheticCheckpoint(String configJson) {
    this.configJson = configJson;
    DecoderConfig c = ModelConfig.parse(configJson, "config.json").decoderConfig();
    for (RandomWeights.Draw d : new RandomWeights(42, RandomWeights.Init.LARGE).tensors(c)) {
      tensors.put(d.name(), new Tensor(d.shape(), d.values(), SafeTensorsDtype.BF16));
    }
  }

  /** Adds (or replaces) a tensor of random values: one the model may not expect. */
  void put(String name, long[] shape, SafeTensorsDtype dtype) {
    long n = 1;
    for (long d : shape) n *= d;
    float[] values = new float[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = RandomWeights.value(42, 1000 + tensors.size(), i, 0, 1);
    }
    tensors.put(name, new Tensor(shape, values, dtype));
  }

  /** Writes config.json and model.safetensors into {@code dir}. */
  Path writeSingle(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), configJson);
    SafeTensorsWriter w = SafeTensorsWriter.create().metadata("format", "pt");
    tensors.forEach((name, t) -> w.addFloats(name, t.shape(), t.values(), t.dtype()));
    w.write(dir.resolve("model.safetensors"));
    return dir;
  }

  /** Writes config.json, {@code shards} files named as transformers names them, and the index. */
  Path writeSharded(Path dir, int shards) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), configJson);
    List<String> names = new ArrayList<>(tensors.keySet());
    ObjectMapper json = new ObjectMapper();
    ObjectNode index = json.createObjectNode();
    ObjectNode weightMap = index.putObject("weight_map");
    for (int s = 0; s < shards; s++) {
      String file = "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
      SafeTensorsWriter w = SafeTensorsWriter.create().metadata("format", "pt");
      for (int i = s; i < names.size(); i += shards) {
        Tensor t = tensors.get(names.get(i));
        w.addFloats(names.get(i), t.shape(), t.values(), t.dtype());
        weightMap.put(names.get(i), file);
      }
      w.write(dir.resolve(file));
    }
    Files.writeString(dir.resolve("model.safetensors.index.json"), json.writeValueAsString(index));
    return dir;
  }
}
