package dev.lorakit.eval.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.prompt.PromptPair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Instruction data, JSON Lines in one of two layouts (the first line decides, every line must
 * follow it):
 *
 * <pre>
 * {"prompt": "...", "completion": "..."}                   the text as it is
 * {"instruction": "...", "input": "...", "output": "..."}  Alpaca: put into Alpaca's prompt ("input" may be left out or empty)
 * </pre>
 */
public final class InstructionFile {

  private static final String ALPACA_WITH_INPUT =
      "Below is an instruction that describes a task, paired with an input "
          + "that provides further context. Write a response that appropriately completes the request.\n\n"
          + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:\n";
  private static final String ALPACA =
      "Below is an instruction that describes a task. Write a response that "
          + "appropriately completes the request.\n\n### Instruction:\n%s\n\n### Response:\n";

  private InstructionFile() {}

  /**
   * Every line's prompt and completion, in file order.
   *
   * @throws LorakitInputException at the first bad line, in one sentence naming the file, line and
   *     field
   */
  public static List<PromptPair> read(Path file) throws IOException {
    List<PromptPair> out = new ArrayList<>();
    boolean[] alpaca = new boolean[1];
    JsonLines.read(
        file,
        (obj, where, number) -> {
          if (out.isEmpty()) alpaca[0] = !obj.has("prompt") && obj.has("instruction");
          out.add(alpaca[0] ? alpaca(obj, where) : plain(obj, where));
        });
    return out;
  }

  private static PromptPair plain(ObjectNode obj, String where) {
    return new PromptPair(JsonLines.text(obj, "prompt", where), nonEmpty(obj, "completion", where));
  }

  private static PromptPair alpaca(ObjectNode obj, String where) {
    String instruction = JsonLines.text(obj, "instruction", where);
    String input = obj.hasNonNull("input") ? JsonLines.text(obj, "input", where) : "";
    String prompt =
        input.isBlank()
            ? String.format(ALPACA, instruction)
            : String.format(ALPACA_WITH_INPUT, instruction, input);
    return new PromptPair(prompt, nonEmpty(obj, "output", where));
  }

  private static String nonEmpty(ObjectNode obj, String field, String where) {
    String s = JsonLines.text(obj, field, where);
    if (s.isEmpty())
      throw new LorakitInputException(where + "field '" + field + "' is empty: nothing to learn.");
    return s;
  }
}
