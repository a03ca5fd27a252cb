package dev.lorakit.eval.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a JSONL file of answers, one object {@code {"id": ..., "<field>": ...}} per line (other fields are
 * ignored, blank lines skipped). Every mistake is reported with the file and line number.
 */
public final class AnswerFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private AnswerFile() {}

  /**
   * @return answers by id, in file order; an answer is {@code null} when the field holds JSON null
   * @throws IllegalArgumentException for a line that is not a JSON object, lacks the id or the field, or
   *     repeats an id
   */
  public static Map<String, String> read(Path file, String field) throws IOException {
    Map<String, String> answers = new LinkedHashMap<>();
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
          throw new IllegalArgumentException(where + ": not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object.");
        JsonNode id = node.get("id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
          throw new IllegalArgumentException(where + ": expected a string or integer field \"id\".");
        }
        JsonNode value = node.get(field);
        if (value == null || !(value.isTextual() || value.isNull())) {
          throw new IllegalArgumentException(where + ": expected a string field \"" + field + "\".");
        }
        String key = id.asText();
        if (answers.containsKey(key)) throw new IllegalArgumentException(where + ": id \"" + key + "\" appears twice.");
        answers.put(key, value.isNull() ? null : value.asText());
      }
    }
    return Collections.unmodifiableMap(answers);
  }
}
