package dev.lorakit.eval.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a training log: JSONL, one object per line with at least {@code step} and {@code loss};
 * lines of a validation pass carry {@code val_loss} (or Hugging Face's {@code eval_loss}).
 */
public final class TrainingLog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingLog() {}

  /**
   * Lines without a {@code loss} (e.g. evaluation or checkpoint events) are skipped.
   *
   * @throws LorakitInputException for a line that is not JSON or whose step or loss is not a number
   */
  public static List<TrainingPoint> read(Path file) throws IOException {
    return read(file, "loss", null);
  }

  /**
   * The validation losses of the log ({@code val_loss} or {@code eval_loss}); empty when there are
   * none.
   */
  public static List<TrainingPoint> readValidation(Path file) throws IOException {
    return read(file, "val_loss", "eval_loss");
  }

  private static List<TrainingPoint> read(Path file, String field, String otherName)
      throws IOException {
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
          throw new LorakitInputException(
              file
                  + ":"
                  + lineNo
                  + ": not valid JSON ("
                  + dev.lorakit.core.io.TextFiles.jsonProblem(e)
                  + ").");
        }
        if (n == null || !n.isObject())
          throw new LorakitInputException(file + ":" + lineNo + ": expected a JSON object.");
        String name = otherName != null && !n.hasNonNull(field) ? otherName : field;
        if (!n.has(name) || n.get(name).isNull()) continue; // no loss, or a skipped step
        JsonNode step = n.get("step");
        JsonNode loss = n.get(name);
        if (step == null || !step.canConvertToLong() || !step.isIntegralNumber()) {
          throw new LorakitInputException(
              file + ":" + lineNo + ": expected an integer field \"step\".");
        }
        if (!loss.isNumber() || !Double.isFinite(loss.asDouble())) {
          throw new LorakitInputException(
              file + ":" + lineNo + ": expected a finite number in \"" + name + "\".");
        }
        points.add(new TrainingPoint(step.asLong(), loss.asDouble()));
      }
    }
    return points;
  }
}
