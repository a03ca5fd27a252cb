package dev.lorakit.eval.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads a JSONL file of answers, one object {@code {"id": ..., "<field>": ...}} per line (other
 * fields are ignored, blank lines skipped), or the {@code answers.jsonl} that {@code lorakit eval}
 * writes, one {@code {"id", "task", "answer"}} per case and task (with {@code "model"} when two
 * models answered): then the lines of the task named {@code field} are read. Every mistake is
 * reported with the file and line number.
 */
public final class AnswerFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private AnswerFile() {}

  /**
   * @return answers by id, in file order; an answer is {@code null} when the field holds JSON null
   * @throws LorakitInputException for a line that is not a JSON object, lacks the id or the field,
   *     or repeats an id
   */
  public static Map<String, String> read(Path file, String field) throws IOException {
    return read(file, field, null);
  }

  /**
   * As {@link #read(Path, String)}; in an evaluation's answers of two models, only those of {@code
   * model} (null where there is one model).
   *
   * @throws LorakitInputException also when the file holds the answers of several models and {@code
   *     model} is null, or none of {@code model}
   */
  public static Map<String, String> read(Path file, String field, String model) throws IOException {
    Map<String, String> answers = new LinkedHashMap<>();
    Set<String> models = new LinkedHashSet<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) continue;
        String where = file + ":" + lineNo;
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new LorakitInputException(
              where + ": not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
        }
        if (node == null || !node.isObject())
          throw new LorakitInputException(where + ": expected a JSON object.");
        JsonNode id = node.get("id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
          throw new LorakitInputException(where + ": expected a string or integer field \"id\".");
        }
        JsonNode value = node.get(field);
        if (value == null
            && node.path("task").isTextual()
            && node.has("answer")) { // lorakit eval's answers.jsonl
          if (!node.path("task").asText().equals(field)) continue;
          String of = node.path("model").isTextual() ? node.get("model").asText() : null;
          if (of != null && models.add(of) && model == null && models.size() > 1) {
            throw new LorakitInputException(
                file
                    + " holds the "
                    + field
                    + " answers of "
                    + String.join(" and ", models)
                    + "; choose one with --answers-of.");
          }
          if (model != null && !model.equals(of)) continue;
          value = node.get("answer");
        }
        if (value == null || !(value.isTextual() || value.isNull())) {
          throw new LorakitInputException(where + ": expected a string field \"" + field + "\".");
        }
        String key = id.asText();
        if (answers.containsKey(key))
          throw new LorakitInputException(where + ": id \"" + key + "\" appears twice.");
        answers.put(key, value.isNull() ? null : value.asText());
      }
    }
    if (model != null && answers.isEmpty()) {
      throw new LorakitInputException(
          file
              + " holds no "
              + field
              + " answers of '"
              + model
              + "'"
              + (models.isEmpty() ? "." : "; it has " + String.join(" and ", models) + "."));
    }
    return Collections.unmodifiableMap(answers);
  }
}
