package dev.lorakit.eval.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The layouts of a training file, told apart by the fields of its first line. */
public enum DataFormat {
  /**
   * Radiation-oncology cases, {@code {"id", "diagnosis", "regimen", "modality", "icd10"}}, asked
   * the tasks.
   */
  CASES,
  /**
   * {@code {"prompt", "completion"}} or Alpaca's {@code {"instruction", "input", "output"}} ({@link
   * InstructionFile}).
   */
  INSTRUCTION,
  /**
   * {@code {"messages": [{"role", "content"}, ...]}}, rendered with the model's chat template
   * ({@link ChatFile}).
   */
  CHAT;

  /** The name on the command line and in messages: cases, instruction or chat. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The format named {@code text} (cases, instruction or chat), or {@code null} for auto.
   *
   * @throws LorakitInputException for any other name
   */
  public static DataFormat fromName(String text) {
    if (text.equalsIgnoreCase("auto")) return null;
    for (DataFormat f : values()) {
      if (f.wireName().equalsIgnoreCase(text.strip())) return f;
    }
    throw new LorakitInputException(
        "unknown data format '" + text + "', expected auto, cases, instruction or chat.");
  }

  /** The format of a line with these fields, or null if none fits. */
  static DataFormat of(ObjectNode line) {
    if (line.has("messages")) return CHAT;
    if (line.has("prompt")
        || line.has("completion")
        || line.has("instruction")
        || line.has("output")) return INSTRUCTION;
    if (line.has("diagnosis")) return CASES;
    return null;
  }

  /**
   * The format of {@code file}, from its first line's fields.
   *
   * @throws LorakitInputException naming the file and line when they fit no format
   */
  public static DataFormat detect(Path file) throws IOException {
    DataFormat[] found = {null};
    try {
      JsonLines.read(
          file,
          (obj, where, number) -> {
            found[0] = of(obj);
            if (found[0] == null) {
              List<String> fields = new ArrayList<>();
              obj.fieldNames().forEachRemaining(fields::add);
              throw new LorakitInputException(
                  where
                      + "the fields "
                      + fields
                      + " fit no training format; expected "
                      + "cases {id, diagnosis, regimen, modality, icd10}, instruction {prompt, completion} or {instruction, "
                      + "input, output}, or chat {messages}.");
            }
            throw new Found();
          });
    } catch (Found e) {
      return found[0];
    }
    throw new LorakitInputException(file + " holds no examples.");
  }

  /** Ends the reading at the first line. */
  private static final class Found extends RuntimeException {
    Found() {
      super(null, null, false, false);
    }
  }
}
