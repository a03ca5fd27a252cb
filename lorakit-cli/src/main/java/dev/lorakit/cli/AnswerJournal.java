package dev.lorakit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.TextFiles;
import dev.lorakit.eval.run.AnswerGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every answer of an evaluation, appended to a JSONL file as soon as it is made ({@code model},
 * {@code max_new_tokens}, {@code prompt}, {@code answer}), so that an interrupted evaluation loses
 * at most the answer in progress: resumed, the answers on file are taken instead of generated
 * again. Greedy decoding makes an answer a function of the model, the prompt and the length limit,
 * which is what the file keys them by.
 */
final class AnswerJournal implements AutoCloseable {

  static final String FILE = "answers.partial.jsonl";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Map<String, String> known = new HashMap<>();
  private final BufferedWriter out;
  private int reused;

  private AnswerJournal(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /**
   * A new journal at {@code file}, or with {@code resume} the one there, whose answers are reused.
   *
   * @param models what answers (the model and adapter folders), recorded on the first line; a
   *     resumed journal must name the same
   */
  static AnswerJournal open(Path file, boolean resume, String models) throws IOException {
    if (!resume) {
      Files.deleteIfExists(file);
    } else if (!Files.isRegularFile(file)) {
      throw new LorakitInputException(
          "--resume was given but "
              + file.getParent()
              + " holds no interrupted "
              + "evaluation (no "
              + FILE
              + "); leave out --resume.");
    }
    Map<String, String> known = new HashMap<>();
    List<String> lines = resume ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    ObjectNode header = JSON.createObjectNode().put("models", models);
    StringBuilder intact = new StringBuilder(header + "\n");
    if (resume && !lines.isEmpty()) {
      String was = JSON.readTree(lines.get(0)).path("models").asText();
      if (!was.equals(models)) {
        throw new LorakitInputException(
            "--resume: the interrupted evaluation in "
                + file.getParent()
                + " was of "
                + was
                + ", not of "
                + models
                + "; give the same --model and --adapter, or leave out --resume.");
      }
    }
    for (String line : resume && !lines.isEmpty() ? lines.subList(1, lines.size()) : lines) {
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException e) {
        break; // the line being written when the run was killed
      }
      if (n == null || !n.path("answer").isTextual()) break;
      known.put(
          key(
              n.path("model").asText(),
              n.path("max_new_tokens").asInt(),
              n.path("prompt").asText()),
          n.path("answer").asText());
      intact.append(line).append('\n');
    }
    TextFiles.writeAtomically(file, intact.toString());
    AnswerJournal j =
        new AnswerJournal(
            file,
            Files.newBufferedWriter(
                file,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND));
    j.known.putAll(known);
    return j;
  }

  /**
   * {@code model}'s answers, taken from the journal where it has them and recorded where it has
   * not.
   */
  AnswerGenerator wrap(String label, AnswerGenerator model) {
    return (prompt, maxNewTokens) -> {
      String k = key(label, maxNewTokens, prompt);
      String a = known.get(k);
      if (a != null) {
        reused++;
        return a;
      }
      a = model.answer(prompt, maxNewTokens);
      known.put(k, a);
      ObjectNode line = JSON.createObjectNode();
      line.put("model", label);
      line.put("max_new_tokens", maxNewTokens);
      line.put("prompt", prompt);
      line.put("answer", a);
      try {
        out.write(line.toString());
        out.newLine();
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return a;
    };
  }

  /** Answers taken from the file instead of generated. */
  int reused() {
    return reused;
  }

  /** The evaluation is complete: the journal is no longer needed. */
  void finished() throws IOException {
    out.close();
    Files.deleteIfExists(file);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private static String key(String model, int maxNewTokens, String prompt) {
    return model + '\u0000' + maxNewTokens + '\u0000' + prompt;
  }
}
