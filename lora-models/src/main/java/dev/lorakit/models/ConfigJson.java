package dev.lorakit.models;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Typed reads from one JSON object of a file the user gave us, where every failure names the file
 * and the field. The readers treat an absent field and a JSON {@code null} alike ("not given");
 * where transformers tells them apart (an absent field takes the class default, an explicit null
 * means None) the caller asks {@link #isPresent}.
 */
final class ConfigJson {

  private final ObjectNode root;
  private final String source;

  private ConfigJson(ObjectNode root, String source) {
    this.root = root;
    this.source = source;
  }

  /** Parses {@code json}; {@code source} names the file in errors. */
  static ConfigJson parse(String json, String source) {
    JsonNode node;
    try {
      node = new ObjectMapper().readTree(json);
    } catch (JacksonException e) {
      throw new LorakitInputException(
          source + " is not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
    }
    if (node == null || !node.isObject()) {
      throw new LorakitInputException(
          source + " must hold a JSON object, not " + describe(node) + ".");
    }
    return new ConfigJson((ObjectNode) node, source);
  }

  String source() {
    return source;
  }

  /** The value of {@code field}, or null when it is absent or JSON null. */
  JsonNode get(String field) {
    JsonNode v = root.get(field);
    return v == null || v.isNull() ? null : v;
  }

  /** Whether the key is there at all, even with a null value. */
  boolean isPresent(String field) {
    return root.has(field);
  }

  boolean has(String field) {
    return get(field) != null;
  }

  /**
   * The object under {@code field} as its own reader (errors then name {@code source field.sub}),
   * or empty.
   */
  Optional<ConfigJson> object(String field) {
    JsonNode v = get(field);
    if (v == null) return Optional.empty();
    if (!v.isObject()) throw wrongType(field, "a JSON object", v);
    return Optional.of(new ConfigJson((ObjectNode) v, source + " field \"" + field + "\""));
  }

  int requiredPositiveInt(String field) {
    JsonNode v = get(field);
    if (v == null) throw missing(field);
    return positiveInt(field, v);
  }

  int positiveInt(String field, int absent) {
    JsonNode v = get(field);
    return v == null ? absent : positiveInt(field, v);
  }

  OptionalInt optionalPositiveInt(String field) {
    JsonNode v = get(field);
    return v == null ? OptionalInt.empty() : OptionalInt.of(positiveInt(field, v));
  }

  OptionalInt optionalNonNegativeInt(String field) {
    JsonNode v = get(field);
    if (v == null) return OptionalInt.empty();
    return OptionalInt.of(nonNegativeInt(field, v));
  }

  int nonNegativeInt(String field, JsonNode v) {
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
      throw wrongType(field, "a non-negative integer", v);
    }
    return v.intValue();
  }

  OptionalDouble optionalPositiveNumber(String field) {
    JsonNode v = get(field);
    if (v == null) return OptionalDouble.empty();
    if (!v.isNumber() || !(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
      throw wrongType(field, "a positive number", v);
    }
    return OptionalDouble.of(v.doubleValue());
  }

  boolean bool(String field, boolean absent) {
    JsonNode v = get(field);
    if (v == null) return absent;
    if (!v.isBoolean()) throw wrongType(field, "true or false", v);
    return v.booleanValue();
  }

  Optional<String> string(String field) {
    JsonNode v = get(field);
    if (v == null) return Optional.empty();
    if (!v.isTextual()) throw wrongType(field, "a string", v);
    return Optional.of(v.textValue());
  }

  String requiredString(String field) {
    return string(field).orElseThrow(() -> missing(field));
  }

  LorakitInputException missing(String field) {
    return new LorakitInputException(source + ": required field \"" + field + "\" is missing.");
  }

  LorakitInputException wrongType(String field, String expected, JsonNode actual) {
    return new LorakitInputException(
        source
            + ": field \""
            + field
            + "\" must be "
            + expected
            + ", not "
            + describe(actual)
            + ".");
  }

  private int positiveInt(String field, JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
      throw wrongType(field, "a positive integer", v);
    }
    return v.intValue();
  }

  /** A short rendering of a JSON value with its kind, e.g. {@code "4096" (a string)}. */
  static String describe(JsonNode v) {
    if (v == null || v.isNull()) return "null";
    String text = v.toString();
    if (text.length() > 60) text = text.substring(0, 57) + "...";
    String kind;
    if (v.isTextual()) kind = "a string";
    else if (v.isIntegralNumber()) kind = "an integer";
    else if (v.isNumber()) kind = "a number";
    else if (v.isBoolean()) kind = "a boolean";
    else if (v.isArray()) kind = "an array";
    else kind = "an object";
    return text + " (" + kind + ")";
  }
}
