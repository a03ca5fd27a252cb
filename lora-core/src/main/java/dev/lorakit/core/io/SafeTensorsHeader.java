package dev.lorakit.core.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed and checked JSON header of one safetensors file: its {@code __metadata__} and its
 * tensors, both in the order the header lists them.
 *
 * <p>The parser walks the JSON token by token rather than binding it to a map, for two reasons: a
 * map would silently keep the last of two entries with the same name, and a token walk lets every
 * message say which tensor and which field is wrong.
 */
record SafeTensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors) {

  /** The safetensors reference implementation refuses headers above this size; so do we. */
  static final long MAX_HEADER_BYTES = 100L << 20;

  static final String METADATA_KEY = "__metadata__";

  // A JsonFactory is thread-safe and immutable once configured.
  private static final JsonFactory JSON = JsonFactory.builder().build();

  SafeTensorsHeader {
    metadata = Collections.unmodifiableMap(metadata);
    tensors = Collections.unmodifiableMap(tensors);
  }

  /**
   * Parses and checks a header.
   *
   * @param fileName the file the header came from, for messages
   * @param json the header bytes (UTF-8 JSON, possibly padded with spaces)
   * @param dataAreaSize the number of bytes after the header, which every tensor must lie within
   * @throws SafeTensorsException naming the file, the tensor and the rule broken when the header is
   *     not valid
   */
  static SafeTensorsHeader parse(String fileName, byte[] json, long dataAreaSize)
      throws SafeTensorsException {
    String text = decodeUtf8(fileName, json);
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    try (JsonParser parser = JSON.createParser(text)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new SafeTensorsException(fileName + ": the header is not a JSON object.");
      }
      boolean sawMetadata = false;
      for (JsonToken token = next(fileName, parser);
          token != JsonToken.END_OBJECT;
          token = next(fileName, parser)) {
        String key = parser.currentName();
        next(fileName, parser);
        if (key.equals(METADATA_KEY)) {
          if (sawMetadata) {
            throw new SafeTensorsException(
                fileName
                    + ": the header has two \"__metadata__\" entries; "
                    + "JSON keys must be unique.");
          }
          sawMetadata = true;
          readMetadata(fileName, parser, metadata);
        } else {
          if (tensors.containsKey(key)) {
            throw new SafeTensorsException(
                fileName
                    + ": tensor \""
                    + key
                    + "\" appears twice in the header; tensor names must be unique.");
          }
          tensors.put(key, readTensor(fileName, key, parser, dataAreaSize));
        }
      }
      if (parser.nextToken() != null) {
        throw new SafeTensorsException(
            fileName
                + ": the header has content after its JSON object; "
                + "only space padding may follow it.");
      }
    } catch (SafeTensorsException e) {
      throw e;
    } catch (JsonProcessingException e) {
      throw new SafeTensorsException(
          fileName
              + ": the header is not valid JSON ("
              + TextFiles.jsonProblem(e)
              + " at line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ").",
          e);
    } catch (IOException e) {
      throw new SafeTensorsException(
          fileName + ": the header could not be parsed as JSON (" + e.getMessage() + ").", e);
    }
    checkNoOverlap(fileName, tensors.values());
    return new SafeTensorsHeader(metadata, tensors);
  }

  private static String decodeUtf8(String fileName, byte[] json) throws SafeTensorsException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(json))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SafeTensorsException(fileName + ": the header is not valid UTF-8 text.", e);
    }
  }

  private static void readMetadata(String fileName, JsonParser parser, Map<String, String> metadata)
      throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      throw new SafeTensorsException(
          fileName + ": \"__metadata__\" is not a JSON object of strings.");
    }
    for (JsonToken token = next(fileName, parser);
        token != JsonToken.END_OBJECT;
        token = next(fileName, parser)) {
      String key = parser.currentName();
      if (next(fileName, parser) != JsonToken.VALUE_STRING) {
        throw new SafeTensorsException(
            fileName
                + ": \"__metadata__\" entry \""
                + key
                + "\" is not a string; metadata maps strings to strings.");
      }
      if (metadata.putIfAbsent(key, parser.getText()) != null) {
        throw new SafeTensorsException(
            fileName
                + ": \"__metadata__\" has two entries named \""
                + key
                + "\"; JSON keys must be unique.");
      }
    }
  }

  private static TensorInfo readTensor(
      String fileName, String name, JsonParser parser, long dataAreaSize) throws IOException {
    String where = fileName + ": tensor \"" + name + "\"";
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      throw new SafeTensorsException(
          where + " is not described by a JSON object with dtype, shape and data_offsets.");
    }
    String dtypeCode = null;
    long[] shape = null;
    long[] offsets = null;
    Set<String> seen = new HashSet<>();
    for (JsonToken token = next(fileName, parser);
        token != JsonToken.END_OBJECT;
        token = next(fileName, parser)) {
      String field = parser.currentName();
      JsonToken value = next(fileName, parser);
      if (!seen.add(field)) {
        throw new SafeTensorsException(
            where + " has two \"" + field + "\" fields; JSON keys must be unique.");
      }
      switch (field) {
        case "dtype" -> {
          if (value != JsonToken.VALUE_STRING) {
            throw new SafeTensorsException(where + " has a dtype that is not a string.");
          }
          dtypeCode = parser.getText();
        }
        case "shape" -> shape = readLongs(where, "shape", parser);
        case "data_offsets" -> offsets = readLongs(where, "data_offsets", parser);
        default ->
            parser.skipChildren(); // unknown fields are tolerated, as the reference reader does
      }
    }
    if (dtypeCode == null || shape == null || offsets == null) {
      String missing = dtypeCode == null ? "dtype" : shape == null ? "shape" : "data_offsets";
      throw new SafeTensorsException(where + " has no \"" + missing + "\" field.");
    }
    SafeTensorsDtype dtype = SafeTensorsDtype.fromCode(dtypeCode).orElse(null);
    if (dtype == null) {
      throw new SafeTensorsException(
          where
              + " has unknown dtype \""
              + dtypeCode
              + "\"; expected one of "
              + Arrays.toString(SafeTensorsDtype.values())
              + ".");
    }
    long elements = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new SafeTensorsException(
            where + " has negative dimension " + d + " in shape " + Arrays.toString(shape) + ".");
      }
      try {
        elements = Math.multiplyExact(elements, d);
      } catch (ArithmeticException e) {
        throw new SafeTensorsException(
            where
                + " has shape "
                + Arrays.toString(shape)
                + " whose element count overflows a 64-bit integer.");
      }
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(elements, (long) dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new SafeTensorsException(
          where
              + " has shape "
              + Arrays.toString(shape)
              + " whose byte size overflows a 64-bit integer.");
    }
    if (offsets.length != 2) {
      throw new SafeTensorsException(
          where
              + " has data_offsets "
              + Arrays.toString(offsets)
              + "; expected exactly two numbers [begin, end].");
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin < 0) {
      throw new SafeTensorsException(
          where + " has data_offsets " + Arrays.toString(offsets) + " with a negative begin.");
    }
    if (end < begin) {
      throw new SafeTensorsException(
          where
              + " has reversed data_offsets "
              + Arrays.toString(offsets)
              + "; begin must not exceed end.");
    }
    if (end > dataAreaSize) {
      throw new SafeTensorsException(
          where
              + " has data_offsets "
              + Arrays.toString(offsets)
              + " that end outside the data area of "
              + dataAreaSize
              + " bytes.");
    }
    if (end - begin != bytes) {
      throw new SafeTensorsException(
          where
              + " has data_offsets "
              + Arrays.toString(offsets)
              + " spanning "
              + (end - begin)
              + " bytes, but shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes.");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  /**
   * The next token; the end of the text inside an object or array is an error, never a silent stop.
   */
  private static JsonToken next(String fileName, JsonParser parser) throws IOException {
    JsonToken token = parser.nextToken();
    if (token == null) {
      throw new SafeTensorsException(
          fileName + ": the header's JSON ends before its objects are closed.");
    }
    return token;
  }

  private static long[] readLongs(String where, String field, JsonParser parser)
      throws IOException {
    if (parser.currentToken() != JsonToken.START_ARRAY) {
      throw new SafeTensorsException(
          where + " has a " + field + " that is not a JSON array of integers.");
    }
    List<Long> values = new ArrayList<>();
    for (JsonToken token = next(where, parser);
        token != JsonToken.END_ARRAY;
        token = next(where, parser)) {
      if (token != JsonToken.VALUE_NUMBER_INT) {
        throw new SafeTensorsException(
            where
                + " has a "
                + field
                + " entry \""
                + parser.getText()
                + "\" that is not an integer.");
      }
      if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        throw new SafeTensorsException(
            where
                + " has a "
                + field
                + " entry "
                + parser.getText()
                + " that does not fit a 64-bit integer.");
      }
      values.add(parser.getLongValue());
    }
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * Two tensors may not share a byte. Empty tensors own no bytes, so they never overlap anything.
   */
  private static void checkNoOverlap(String fileName, Iterable<TensorInfo> tensors)
      throws SafeTensorsException {
    List<TensorInfo> byOffset = new ArrayList<>();
    for (TensorInfo t : tensors) {
      if (t.end() > t.begin()) {
        byOffset.add(t);
      }
    }
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    TensorInfo furthest = null;
    for (TensorInfo t : byOffset) {
      if (furthest != null && t.begin() < furthest.end()) {
        throw new SafeTensorsException(
            fileName
                + ": tensor \""
                + t.name()
                + "\" (bytes "
                + t.begin()
                + " to "
                + t.end()
                + ") overlaps tensor \""
                + furthest.name()
                + "\" (bytes "
                + furthest.begin()
                + " to "
                + furthest.end()
                + "); tensors must not share bytes.");
      }
      if (furthest == null || t.end() > furthest.end()) {
        furthest = t;
      }
    }
  }
}
