package dev.lorakit.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's chat template: the Jinja template of {@code tokenizer_config.json} ({@code
 * chat_template}) or of a {@code chat_template.jinja} beside it, rendered as transformers' {@code
 * apply_chat_template} renders it, with {@code messages}, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt} and {@code raise_exception(message)}. The rendering is done by
 * Jinjava (HubSpot's Java implementation of Jinja).
 *
 * <p>For training, {@link #renderForTraining} also finds where each assistant turn lies in the
 * text. It renders the conversation prefix by prefix (up to before a reply, with the generation
 * prompt; up to and with the reply) and takes the difference, which is exact for every template
 * whose output grows with the conversation (LLaMA-2, Mistral, ChatML and the like) and refused, in
 * one sentence, for one that does not.
 */
public final class ChatTemplate {

  /** One turn of a conversation. */
  public record Message(String role, String content) {
    public Message {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(content, "content");
    }
  }

  /** Characters {@code [start, end)} of a rendered conversation. */
  public record Span(int start, int end) {}

  /**
   * A conversation rendered for training.
   *
   * @param text the whole conversation as the template writes it
   * @param assistant where the assistant's turns are in {@code text}, in order (what the model
   *     learns to write)
   */
  public record Rendered(String text, List<Span> assistant) {
    public Rendered {
      assistant = List.copyOf(assistant);
    }

    /**
     * Which tokens of {@code pieces} (the encoding of {@link #text}) the assistant wrote: those
     * whose characters all lie inside one assistant turn. A token that reaches across a turn's edge
     * (a space the template puts after EOS, merged with the next turn's first letter) belongs to
     * what follows, not to the reply.
     */
    public boolean[] assistantTokens(Tokenizer.Pieces pieces) {
      boolean[] mask = new boolean[pieces.ids().length];
      for (int t = 0; t < mask.length; t++) {
        for (Span s : assistant) {
          if (pieces.starts()[t] >= s.start()
              && pieces.ends()[t] <= s.end()
              && pieces.ends()[t] > s.start()) {
            mask[t] = true;
          }
        }
      }
      return mask;
    }
  }

  /** The file name transformers gives a chat template saved on its own. */
  public static final String JINJA_FILE = "chat_template.jinja";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Jinjava JINJA = jinjava();

  private final String template;
  private final String bosToken;
  private final String eosToken;
  private final String source;

  /**
   * A template.
   *
   * @param template the Jinja text
   * @param bosToken the text of the BOS token, e.g. {@code <s>}
   * @param eosToken the text of the EOS token, e.g. {@code </s>}
   * @param source where it came from, for messages
   */
  public ChatTemplate(String template, String bosToken, String eosToken, String source) {
    // Jinja drops one newline at the end of a template (keep_trailing_newline is off); Jinjava
    // keeps it.
    this.template =
        template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
    this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
    this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
    this.source = Objects.requireNonNull(source, "source");
  }

  private static Jinjava jinjava() {
    // transformers' environment: trim_blocks and lstrip_blocks on; undefined names are empty/false.
    // The legacy
    // overrides switch Jinjava to Jinja's own behaviour: {{- -}} trimming, operator precedence,
    // escapes.
    Jinjava j =
        new Jinjava(
            JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(
                    LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .withFailOnUnknownTokens(false)
                .build());
    j.getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raise", Object.class));
    return j;
  }

  /**
   * What {@code raise_exception(message)} does inside a template: stops the rendering with that
   * message. Public only because the template engine calls it by reflection.
   */
  public static String raise(Object message) {
    throw new Raised(String.valueOf(message));
  }

  /** A template's own refusal, found again among the causes of the engine's error. */
  private static final class Raised extends RuntimeException {
    Raised(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The chat template of a model folder (or tokenizer file's folder): {@code chat_template.jinja}
   * if there is one, else {@code chat_template} of {@code tokenizer_config.json}; empty when the
   * model has none.
   *
   * @throws LorakitInputException naming the file if it is not valid JSON or its template is not
   *     text
   */
  public static Optional<ChatTemplate> of(Path modelFolder) throws IOException {
    Path config = modelFolder.resolve("tokenizer_config.json");
    Path jinja = modelFolder.resolve(JINJA_FILE);
    JsonNode root = Files.isRegularFile(config) ? parse(config) : JSON.createObjectNode();
    if (Files.isRegularFile(jinja)) {
      return Optional.of(
          new ChatTemplate(
              Files.readString(jinja, StandardCharsets.UTF_8),
              token(root, "bos_token", "<s>"),
              token(root, "eos_token", "</s>"),
              jinja.toString()));
    }
    if (!Files.isRegularFile(config)
        || root.path("chat_template").isMissingNode()
        || root.path("chat_template").isNull()) {
      return Optional.empty();
    }
    return Optional.of(fromConfig(root, config));
  }

  /**
   * Reads a template from a file: a {@code tokenizer_config.json} (its {@code chat_template}) if
   * the name ends in {@code .json}, otherwise the Jinja text itself, with BOS {@code <s>} and EOS
   * {@code </s>}.
   *
   * @throws LorakitInputException naming the file if it holds no chat template
   */
  public static ChatTemplate read(Path file) throws IOException {
    if (!file.toString().endsWith(".json")) {
      return new ChatTemplate(
          Files.readString(file, StandardCharsets.UTF_8), "<s>", "</s>", file.toString());
    }
    JsonNode root = parse(file);
    if (root.path("chat_template").isMissingNode() || root.path("chat_template").isNull()) {
      throw new LorakitInputException(file + " has no chat_template.");
    }
    return fromConfig(root, file);
  }

  private static JsonNode parse(Path file) throws IOException {
    try {
      JsonNode root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (root == null || !root.isObject())
        throw new LorakitInputException(file + " is not a JSON object.");
      return root;
    } catch (JsonProcessingException e) {
      throw new LorakitInputException(
          file + " is not valid JSON (" + e.getOriginalMessage() + ").");
    }
  }

  private static ChatTemplate fromConfig(JsonNode root, Path file) {
    JsonNode t = root.get("chat_template");
    String text = null;
    if (t.isTextual()) {
      text = t.textValue();
    } else if (t.isArray()) { // named templates, as [{"name": "default", "template": "..."}, ...]
      for (JsonNode named : t) {
        if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
          text = named.get("template").textValue();
        }
      }
    }
    if (text == null) {
      throw new LorakitInputException(
          file + ": chat_template is neither text nor a list holding a 'default' template.");
    }
    return new ChatTemplate(
        text, token(root, "bos_token", "<s>"), token(root, "eos_token", "</s>"), file.toString());
  }

  // A plain string, or an AddedToken written out as {"content": ..., ...}.
  private static String token(JsonNode root, String key, String fallback) {
    JsonNode v = root.get(key);
    if (v != null && v.isTextual()) return v.textValue();
    if (v != null && v.path("content").isTextual()) return v.get("content").textValue();
    return fallback;
  }

  /** Where the template came from. */
  public String source() {
    return source;
  }

  /**
   * The conversation as the template writes it, ending with the prompt of the assistant's next turn
   * when {@code addGenerationPrompt} (and the template has one).
   *
   * @throws LorakitInputException with the template's own words when it refuses the conversation
   *     ({@code raise_exception}), or naming the template when it cannot be rendered
   */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Message m : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", m.role());
      map.put("content", m.content());
      list.add(map);
    }
    Map<String, Object> context = new HashMap<>();
    context.put("messages", list);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    context.put("add_generation_prompt", addGenerationPrompt);
    RenderResult r;
    try {
      r = JINJA.renderForResult(template, context);
    } catch (RuntimeException e) {
      throw failure(e, e.getMessage());
    }
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL)
        throw failure(e.getException(), e.getMessage());
    }
    return r.getOutput();
  }

  private LorakitInputException failure(Throwable e, String why) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof Raised) {
        return new LorakitInputException(
            "the chat template of " + source + " refuses the conversation: " + t.getMessage());
      }
    }
    return new LorakitInputException(
        "the chat template of " + source + " cannot be rendered: " + why);
  }

  /**
   * The whole conversation and where its assistant turns are.
   *
   * @throws LorakitInputException when the template refuses the conversation, or when it does not
   *     write a conversation prefix by prefix, so that the assistant turns cannot be told apart
   */
  public Rendered renderForTraining(List<Message> messages) {
    String full = render(messages, false);
    List<Span> spans = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (!messages.get(i).role().equals("assistant")) continue;
      String before = render(messages.subList(0, i), true);
      String through = render(messages.subList(0, i + 1), false);
      if (!through.startsWith(before) || !full.startsWith(through)) {
        throw new LorakitInputException(
            "the chat template of "
                + source
                + " does not write a conversation prefix "
                + "by prefix, so the assistant's turns cannot be found in it.");
      }
      if (through.length() > before.length())
        spans.add(new Span(before.length(), through.length()));
    }
    return new Rendered(full, spans);
  }
}
