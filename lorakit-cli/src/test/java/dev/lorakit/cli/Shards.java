package dev.lorakit.cli;

import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: copies a single-file model folder as a two-shard one, with its index. */
final class Shards {

  private Shards() {}

  static void split(Path model, Path out) throws IOException {
    Files.createDirectories(out);
    StringBuilder map = new StringBuilder();
    long total = 0;
    try (SafeTensorsFile src = SafeTensorsFile.open(model.resolve("model.safetensors"))) {
      List<String> names = new ArrayList<>(src.names());
      SafeTensorsWriter[] w = {
        SafeTensorsWriter.create().metadata("format", "pt"),
        SafeTensorsWriter.create().metadata("format", "pt")
      };
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        int shard = i < names.size() / 2 ? 0 : 1;
        var info = src.info(name);
        w[shard].add(name, info.dtype(), info.shape(), src.segment(name));
        total += info.byteSize();
        map.append(map.isEmpty() ? "" : ",\n")
            .append("    \"")
            .append(name)
            .append("\": \"model-0000")
            .append(shard + 1)
            .append("-of-00002.safetensors\"");
      }
      w[0].write(out.resolve("model-00001-of-00002.safetensors"));
      w[1].write(out.resolve("model-00002-of-00002.safetensors"));
    }
    Files.writeString(
        out.resolve("model.safetensors.index.json"),
        "{\n  \"metadata\": {\"total_size\": "
            + total
            + "},\n  \"weight_map\": {\n"
            + map
            + "\n  }\n}\n");
    for (String f : List.of("config.json", "tokenizer.json"))
      Files.copy(model.resolve(f), out.resolve(f));
  }
}
