package dev.lorakit.models;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What lorakit needs to know from a {@code tokenizer.json} besides what DJL does with it: the
 * vocabulary size and which ids are special. Special tokens are looked up in this order: the
 * post-processor's template (the token it puts before a sequence is BOS), {@code
 * tokenizer_config.json} beside the file (its {@code bos_token} / {@code eos_token} / {@code
 * pad_token}), then the SentencePiece names {@code <s>}, {@code </s>} and {@code <pad>} among the
 * added tokens.
 */
final class TokenizerJson {

  private final String source;
  private final Map<String, Integer> idsByToken = new HashMap<>();
  private final int vocabSize;
  private final OptionalInt templateBos;
  private final Optional<String> unkToken;

  private TokenizerJson(String source, JsonNode root) {
    this.source = source;
    JsonNode model = root.path("model");
    JsonNode vocab = model.path("vocab");
    int maxId = -1;
    if (vocab.isObject()) { // BPE, WordPiece, WordLevel: {"token": id}
      for (Map.Entry<String, JsonNode> e : vocab.properties()) {
        idsByToken.put(e.getKey(), e.getValue().intValue());
        maxId = Math.max(maxId, e.getValue().intValue());
      }
    } else if (vocab.isArray()) { // Unigram: [["piece", score], ...], id = position
      for (int id = 0; id < vocab.size(); id++) idsByToken.put(vocab.get(id).path(0).asText(), id);
      maxId = vocab.size() - 1;
    } else {
      throw new LorakitInputException(
          source + " has no model.vocab; it is not a Hugging Face tokenizer.json.");
    }
    for (JsonNode added : root.path("added_tokens")) {
      int id = added.path("id").asInt(-1);
      if (id < 0 || !added.path("content").isTextual()) {
        throw new LorakitInputException(
            source + ": an entry of added_tokens has no id or no content: " + added + ".");
      }
      idsByToken.put(added.get("content").textValue(), id);
      maxId = Math.max(maxId, id);
    }
    this.vocabSize = maxId + 1;
    this.templateBos = templateBos(root.path("post_processor"));
    this.unkToken =
        model.path("unk_token").isTextual()
            ? Optional.of(model.get("unk_token").textValue())
            : Optional.empty();
  }

  static TokenizerJson parse(String json, String source) {
    try {
      JsonNode root = new ObjectMapper().readTree(json);
      if (root == null || !root.isObject()) {
        throw new LorakitInputException(
            source + " must hold a JSON object (a Hugging Face tokenizer.json).");
      }
      return new TokenizerJson(source, root);
    } catch (JacksonException e) {
      throw new LorakitInputException(
          source + " is not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
    }
  }

  int vocabSize() {
    return vocabSize;
  }

  OptionalInt id(String token) {
    Integer id = idsByToken.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /**
   * The special tokens; {@code tokenizerConfig} is the text of {@code tokenizer_config.json} beside
   * the file, if there is one.
   */
  SpecialTokens specialTokens(Optional<String> tokenizerConfig, String configSource) {
    Map<String, String> named = new HashMap<>();
    if (tokenizerConfig.isPresent()) {
      ConfigJson c = ConfigJson.parse(tokenizerConfig.get(), configSource);
      for (String key : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
        JsonNode v = c.get(key);
        // a plain string, or an AddedToken written out as {"content": ..., "special": true, ...}
        if (v != null && v.isTextual()) named.put(key, v.textValue());
        else if (v != null && v.path("content").isTextual())
          named.put(key, v.get("content").textValue());
      }
    }
    OptionalInt bos =
        templateBos.isPresent() ? templateBos : id(named.getOrDefault("bos_token", "<s>"));
    OptionalInt eos = id(named.getOrDefault("eos_token", "</s>"));
    OptionalInt pad = id(named.getOrDefault("pad_token", "<pad>"));
    OptionalInt unk =
        unkToken.isPresent() ? id(unkToken.get()) : id(named.getOrDefault("unk_token", "<unk>"));
    if (bos.isEmpty() || eos.isEmpty()) {
      throw new LorakitInputException(
          source
              + " does not tell its "
              + (bos.isEmpty() ? "beginning" : "end")
              + "-of-sequence token: no post-processor template, no tokenizer_config.json beside it naming one, and no \""
              + (bos.isEmpty() ? "<s>" : "</s>")
              + "\" token.");
    }
    return new SpecialTokens(bos.getAsInt(), eos.getAsInt(), pad, unk);
  }

  /**
   * The id a TemplateProcessing post-processor puts before a single sequence, e.g. {@code <s>} = 1.
   */
  private static OptionalInt templateBos(JsonNode post) {
    if (!"TemplateProcessing".equals(post.path("type").asText())) return OptionalInt.empty();
    JsonNode first = post.path("single").path(0);
    if (!first.has("SpecialToken")) return OptionalInt.empty();
    String name = first.path("SpecialToken").path("id").asText();
    JsonNode ids = post.path("special_tokens").path(name).path("ids");
    return ids.isArray() && ids.size() == 1
        ? OptionalInt.of(ids.get(0).intValue())
        : OptionalInt.empty();
  }
}
