package dev.lorakit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.eval.cases.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where a report's numbers come from, for its "How this report was made" table: model and adapter
 * paths, the adapter's hyper-parameters, data files (with a hash, so a changed file is noticed),
 * templates, answer lengths, seed, lorakit version and date.
 */
final class Provenance {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> entries = new LinkedHashMap<>();

  /** Adds {@code name}: {@code value}, in order. */
  Provenance put(String name, String value) {
    entries.put(name, value);
    return this;
  }

  /**
   * The base model's and adapter's folders, and the adapter's LoRA settings and training run as it
   * recorded them.
   */
  Provenance models(Path model, Path adapter) throws IOException {
    put("base model", model.toAbsolutePath().normalize().toString());
    put("adapter", adapter.toAbsolutePath().normalize().toString());
    Path config = adapter.resolve("adapter_config.json");
    if (Files.isRegularFile(config)) {
      JsonNode c = JSON.readTree(config.toFile());
      put(
          "LoRA",
          "r "
              + c.path("r").asText()
              + ", alpha "
              + c.path("lora_alpha").asText()
              + ", dropout "
              + c.path("lora_dropout").asText()
              + ", rsLoRA "
              + c.path("use_rslora").asBoolean()
              + ", targets "
              + c.path("target_modules").toString());
    }
    Path args = adapter.resolve("training_args.json");
    if (Files.isRegularFile(args)) put("training", JSON.readTree(args.toFile()).toString());
    return this;
  }

  /** A data file: its path, size in lines and the start of its SHA-256. */
  Provenance data(String name, Path file) throws IOException {
    long lines;
    try (var s = Files.lines(file)) {
      lines = s.filter(l -> !l.isBlank()).count();
    }
    return put(
        name,
        file.toAbsolutePath().normalize()
            + " ("
            + lines
            + " lines, sha256 "
            + TrainingArgs.sha256(file).substring(0, 16)
            + ")");
  }

  /** The prompt templates ({@code null}: the built-in ones) and the answer length limits. */
  Provenance prompts(Path templates, Map<Task, Integer> maxNewTokens, List<Task> tasks) {
    put(
        "prompt templates",
        templates == null ? "built-in" : templates.toAbsolutePath().normalize().toString());
    return put(
        "answers",
        "greedy, at most "
            + tasks.stream()
                .map(t -> t + " " + maxNewTokens.get(t) + " tokens")
                .collect(Collectors.joining(", ")));
  }

  /** The seed, lorakit's version and now; the entries in order. */
  Map<String, String> finish(long seed) {
    put("seed", Long.toString(seed));
    put("lorakit", Main.version());
    put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    return new LinkedHashMap<>(entries);
  }
}
