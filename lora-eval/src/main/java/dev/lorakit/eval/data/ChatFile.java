package dev.lorakit.eval.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.models.ChatTemplate.Message;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Chat data, JSON Lines: {@code {"messages": [{"role": "system"|"user"|"assistant", "content":
 * "..."}, ...]}}, one conversation per line with at least one assistant turn (what is learned).
 * Rendering is the model's chat template's business ({@link dev.lorakit.models.ChatTemplate}),
 * which also decides which role orders it accepts.
 */
public final class ChatFile {

  /** The roles a message may have. */
  public static final Set<String> ROLES = Set.of("system", "user", "assistant");

  private ChatFile() {}

  /**
   * One conversation.
   *
   * @param line its line in the file
   * @param messages its turns
   */
  public record Conversation(int line, List<Message> messages) {
    public Conversation {
      messages = List.copyOf(messages);
    }
  }

  /**
   * Every line's conversation, in file order.
   *
   * @throws LorakitInputException at the first bad line, in one sentence naming the file, line and
   *     field
   */
  public static List<Conversation> read(Path file) throws IOException {
    List<Conversation> out = new ArrayList<>();
    JsonLines.read(
        file, (obj, where, number) -> out.add(new Conversation(number, conversation(obj, where))));
    return out;
  }

  private static List<Message> conversation(ObjectNode obj, String where) {
    JsonNode messages = obj.get("messages");
    if (messages == null || messages.isNull())
      throw new LorakitInputException(where + "field 'messages' is missing.");
    if (!messages.isArray() || messages.isEmpty()) {
      throw new LorakitInputException(
          where + "field 'messages' is not a non-empty list of {role, content}.");
    }
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      String at = where + "messages[" + i + "]: ";
      if (!(messages.get(i) instanceof ObjectNode m))
        throw new LorakitInputException(at + "expected {role, content}.");
      String role = JsonLines.text(m, "role", at);
      if (!ROLES.contains(role)) {
        throw new LorakitInputException(
            at + "field 'role' is '" + role + "', expected system, user or assistant.");
      }
      out.add(new Message(role, JsonLines.text(m, "content", at)));
    }
    if (out.stream().noneMatch(m -> m.role().equals("assistant"))) {
      throw new LorakitInputException(
          where + "field 'messages' has no assistant message: nothing to learn.");
    }
    return out;
  }
}
