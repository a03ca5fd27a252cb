package dev.lorakit.eval.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading a JSON Lines training file: one object per non-blank line, each mistake one sentence with
 * file and line.
 */
final class JsonLines {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** Told about each line's object. */
  @FunctionalInterface
  interface LineReader {
    /** {@code where} is "file line N: ", the start of a sentence about line {@code number}. */
    void line(ObjectNode object, String where, int number);
  }

  private JsonLines() {}

  static String name(Path file) {
    return file.getFileName() == null ? file.toString() : file.getFileName().toString();
  }

  /**
   * Gives every line's object to {@code reader}, in file order.
   *
   * @throws LorakitInputException for a line that is not a JSON object, naming the file and line;
   *     or when the file holds no line
   * @throws IOException if the file cannot be read or is not UTF-8
   */
  static void read(Path file, LineReader reader) throws IOException {
    int count = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = in.readLine()) != null; ) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1); // byte-order mark
        if (line.isBlank()) continue;
        String where = name(file) + " line " + lineNo + ": ";
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new LorakitInputException(
              where + "not valid JSON (" + e.getOriginalMessage() + ").");
        }
        if (!(node instanceof ObjectNode obj))
          throw new LorakitInputException(where + "expected a JSON object.");
        reader.line(obj, where, lineNo);
        count++;
      }
    } catch (CharacterCodingException e) {
      throw new IOException(file + " is not UTF-8 text.", e);
    }
    if (count == 0) throw new LorakitInputException(file + " holds no examples.");
  }

  /** The non-empty text of {@code field}, or a sentence naming it. */
  static String text(ObjectNode obj, String field, String where) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull())
      throw new LorakitInputException(where + "field '" + field + "' is missing.");
    if (!v.isTextual())
      throw new LorakitInputException(where + "field '" + field + "' is not text.");
    return v.textValue();
  }
}
