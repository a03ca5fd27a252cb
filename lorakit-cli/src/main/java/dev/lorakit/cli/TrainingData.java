package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Validation;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.data.ChatFile;
import dev.lorakit.eval.data.DataFormat;
import dev.lorakit.eval.data.InstructionFile;
import dev.lorakit.eval.prompt.PromptPair;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.models.ChatTemplate;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A training file read and checked before any model is loaded, in one of the {@link DataFormat}s,
 * and turned into training examples once the tokenizer is there: cases asked the tasks ({@link
 * TaskExamples}), instruction pairs (prompt with BOS, then the completion and EOS, only the
 * completion learned), or conversations rendered with the model's chat template (only the
 * assistant's turns learned, as the template writes them, EOS included).
 */
final class TrainingData {

  private final DataFormat format;
  private final List<Case> cases;
  private final List<PromptPair> pairs;
  private final List<ChatTemplate.Rendered> chats;

  private TrainingData(
      DataFormat format,
      List<Case> cases,
      List<PromptPair> pairs,
      List<ChatTemplate.Rendered> chats) {
    this.format = format;
    this.cases = cases;
    this.pairs = pairs;
    this.chats = chats;
  }

  /**
   * Reads {@code file} as {@code formatName} (auto, cases, instruction or chat); cases must hold
   * the answers of {@code tasks}; conversations are rendered with {@code chatTemplate} (a file) or
   * else the chat template of {@code modelFolder}, so that one the template refuses is found before
   * the work.
   */
  static TrainingData read(
      Path file, String formatName, List<Task> tasks, Path modelFolder, Path chatTemplate)
      throws IOException {
    DataFormat named = DataFormat.fromName(formatName);
    DataFormat format = named != null ? named : DataFormat.detect(file);
    return switch (format) {
      case CASES -> new TrainingData(format, CaseFile.read(file, tasks), List.of(), List.of());
      case INSTRUCTION ->
          new TrainingData(format, List.of(), InstructionFile.read(file), List.of());
      case CHAT ->
          new TrainingData(
              format,
              List.of(),
              List.of(),
              render(file, ChatFile.read(file), chatTemplate(file, modelFolder, chatTemplate)));
    };
  }

  private static ChatTemplate chatTemplate(Path file, Path modelFolder, Path given)
      throws IOException {
    if (given != null) return ChatTemplate.read(given);
    return ChatTemplate.of(modelFolder)
        .orElseThrow(
            () ->
                new LorakitInputException(
                    file
                        + " is chat data, but "
                        + modelFolder
                        + " has no chat template (tokenizer_config.json chat_template); give one with --chat-template."));
  }

  private static List<ChatTemplate.Rendered> render(
      Path file, List<ChatFile.Conversation> chats, ChatTemplate template) {
    List<ChatTemplate.Rendered> out = new ArrayList<>();
    for (ChatFile.Conversation c : chats) {
      try {
        out.add(template.renderForTraining(c.messages()));
      } catch (LorakitInputException e) {
        throw new LorakitInputException(
            file.getFileName() + " line " + c.line() + ": " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * This data split into the part trained on and a held-out part of {@code fraction} of its records
   * (cases, pairs or conversations, so that a case's tasks stay together), drawn with {@code seed}:
   * {@code [train, heldOut]}.
   *
   * @throws LorakitInputException when there are fewer than two records to split
   */
  List<TrainingData> split(double fraction, long seed) {
    int n = cases.size() + pairs.size() + chats.size();
    if (n < 2) {
      throw new LorakitInputException(
          "--val-fraction needs at least two records in --data to hold some out; "
              + "there are "
              + n
              + ".");
    }
    List<List<Case>> c =
        cases.isEmpty() ? List.of(cases, cases) : Validation.split(cases, fraction, seed);
    List<List<PromptPair>> p =
        pairs.isEmpty() ? List.of(pairs, pairs) : Validation.split(pairs, fraction, seed);
    List<List<ChatTemplate.Rendered>> r =
        chats.isEmpty() ? List.of(chats, chats) : Validation.split(chats, fraction, seed);
    return List.of(
        new TrainingData(format, c.get(0), p.get(0), r.get(0)),
        new TrainingData(format, c.get(1), p.get(1), r.get(1)));
  }

  DataFormat format() {
    return format;
  }

  /** What is learned, for the closing line: the tasks for cases, else the format. */
  String describe(List<Task> tasks) {
    return format == DataFormat.CASES
        ? tasks.stream().map(Task::answerField).collect(Collectors.joining(","))
        : format.wireName();
  }

  /** The training examples. */
  TaskExamples examples(
      List<Task> tasks, PromptTemplates templates, Tokenizer tokenizer, int maxSeqLen) {
    return switch (format) {
      case CASES -> TaskExamples.of(cases, tasks, templates, tokenizer, maxSeqLen);
      case INSTRUCTION -> {
        List<Example> out = new ArrayList<>();
        int skipped = 0;
        for (PromptPair p : pairs) {
          Example e = TaskExamples.example(p, tokenizer, maxSeqLen);
          if (e == null) skipped++;
          else out.add(e);
        }
        yield new TaskExamples(out, skipped);
      }
      case CHAT -> chatExamples(tokenizer, maxSeqLen);
    };
  }

  private TaskExamples chatExamples(Tokenizer tokenizer, int maxSeqLen) {
    List<Example> out = new ArrayList<>();
    int skipped = 0;
    for (ChatTemplate.Rendered r : chats) {
      Tokenizer.Pieces p = tokenizer.encodeWithOffsets(r.text());
      boolean[] learned = r.assistantTokens(p);
      int[] labels = new int[learned.length];
      boolean any = false;
      for (int t = 0; t < labels.length; t++) {
        labels[t] = learned[t] ? p.ids()[t] : Backend.IGNORE_INDEX;
        any |= learned[t];
      }
      if (!any || labels.length > maxSeqLen) { // left out, never cut: see TaskExamples
        skipped++;
        continue;
      }
      out.add(new Example(p.ids(), labels));
    }
    return new TaskExamples(out, skipped);
  }
}
