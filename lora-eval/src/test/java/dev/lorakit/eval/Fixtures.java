package dev.lorakit.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Reads the reference files under src/test/resources/dev/lorakit/eval/fixtures (see the NOTICE
 * there).
 */
public final class Fixtures {

  private Fixtures() {}

  public static JsonNode json(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("fixtures/" + name)) {
      if (in == null) throw new IllegalStateException("missing test resource fixtures/" + name);
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** |actual - expected| &le; rel * |expected| (exact equality for 0, NaN only equals NaN). */
  public static boolean close(double expected, double actual, double rel) {
    if (Double.isNaN(expected)) return Double.isNaN(actual);
    if (expected == actual) return true;
    return Math.abs(actual - expected) <= rel * Math.abs(expected);
  }
}
