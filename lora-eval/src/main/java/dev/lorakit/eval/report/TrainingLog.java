package dev.lorakit.eval.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a training log: JSONL, one object per line with at least {@code step} and {@code loss}. */
public final class TrainingLog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingLog() {}

  /**
   * Lines without a {@code loss} (e.g. evaluation or checkpoint events) are skipped.
   *
   * @throws IllegalArgumentException for a line that is not JSON or whose step or loss is not a number
   */
  public static List<TrainingPoint> read(Path file) throws IOException {
    List<TrainingPoint> points = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) continue;
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(file + ":" + lineNo + ": expected a JSON object.");
        if (!n.has("loss") || n.get("loss").isNull()) continue; // no loss, or a skipped step
        JsonNode step = n.get("step");
        JsonNode loss = n.get("loss");
        if (step == null || !step.canConvertToLong() || !step.isIntegralNumber()) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": expected an integer field \"step\".");
        }
        if (!loss.isNumber() || !Double.isFinite(loss.asDouble())) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": expected a finite number in \"loss\".");
        }
        points.add(new TrainingPoint(step.asLong(), loss.asDouble()));
      }
    }
    return points;
  }
}
