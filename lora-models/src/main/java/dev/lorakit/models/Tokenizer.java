package dev.lorakit.models;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.lorakit.core.LorakitInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face tokenizer read from a local {@code tokenizer.json}, run by DJL's binding of the
 * Rust {@code tokenizers} library. Nothing is ever downloaded.
 *
 * <p>{@link #encode(String)} gives the ids a model is trained on: BOS, then the text. Text that
 * spells a special token (e.g. {@code "</s>"}) becomes that token, as in transformers. Holds native
 * memory: close it.
 */
public final class Tokenizer implements AutoCloseable {

  /** Where the Mistral-7B-v0.1 tokenizer (Apache-2.0) lives among this module's resources. */
  static final String BUNDLED_MISTRAL = "tokenizers/mistral-7b-v0.1/tokenizer.json";

  // DJL truncates to 512 tokens and pads unless told otherwise; lorakit does both itself.
  private static final Map<String, String> DJL_OPTIONS =
      Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

  private final HuggingFaceTokenizer hf;
  private final String source;
  private final int vocabSize;
  private final SpecialTokens specialTokens;

  private Tokenizer(
      HuggingFaceTokenizer hf, String source, int vocabSize, SpecialTokens specialTokens) {
    this.hf = hf;
    this.source = source;
    this.vocabSize = vocabSize;
    this.specialTokens = specialTokens;
  }

  /**
   * Opens a {@code tokenizer.json} (or the folder that holds it). Special tokens come from the
   * file, from {@code tokenizer_config.json} beside it if there is one, and otherwise from the
   * usual SentencePiece names.
   */
  public static Tokenizer open(Path tokenizerJson) throws IOException {
    Path file =
        Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
    String json = dev.lorakit.core.io.TextFiles.readUtf8(file);
    Path config = file.resolveSibling("tokenizer_config.json");
    Optional<String> configJson =
        Files.isRegularFile(config)
            ? Optional.of(dev.lorakit.core.io.TextFiles.readUtf8(config))
            : Optional.empty();
    return create(json, file.toString(), configJson, config.toString());
  }

  /**
   * Opens a {@code tokenizer.json} for the model {@code config} describes: BOS, EOS and pad come
   * from the model's {@code config.json} (which is what generation uses), and a tokenizer with more
   * ids than the model has embedding rows is refused.
   */
  public static Tokenizer open(Path tokenizerJson, ModelConfig config) throws IOException {
    Tokenizer t = open(tokenizerJson);
    try {
      return t.forModel(config);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * The Mistral-7B-v0.1 tokenizer shipped inside lorakit (Apache-2.0; see the NOTICE beside it).
   */
  public static Tokenizer bundledMistral() {
    try (InputStream in = Tokenizer.class.getResourceAsStream(BUNDLED_MISTRAL)) {
      if (in == null)
        throw new IllegalStateException("lora-models is missing its resource " + BUNDLED_MISTRAL);
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return create(json, "the bundled Mistral-7B-v0.1 tokenizer", Optional.empty(), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Tokenizer create(
      String json, String source, Optional<String> configJson, String configSource)
      throws IOException {
    TokenizerJson info = TokenizerJson.parse(json, source);
    SpecialTokens special = info.specialTokens(configJson, configSource);
    DjlOffline.ensure();
    HuggingFaceTokenizer hf;
    try {
      hf =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), DJL_OPTIONS);
    } catch (RuntimeException e) {
      // The Rust side refuses a file whose structure it does not know; its message says which part.
      throw new LorakitInputException(
          source
              + " is not a tokenizer.json the tokenizers library can read: "
              + firstLine(e.getMessage())
              + ".",
          e);
    }
    return new Tokenizer(hf, source, info.vocabSize(), special);
  }

  private Tokenizer forModel(ModelConfig config) {
    if (vocabSize > config.vocab()) {
      throw new LorakitInputException(
          source
              + " has "
              + vocabSize
              + " token ids but the model's vocab_size is "
              + config.vocab()
              + ".");
    }
    SpecialTokens s =
        new SpecialTokens(
            config.bosTokenId(),
            config.eosTokenId(),
            config.padTokenId().isPresent() ? config.padTokenId() : specialTokens.pad(),
            specialTokens.unk());
    return new Tokenizer(hf, source, vocabSize, s);
  }

  /** The ids of {@code text} after BOS. */
  public int[] encode(String text) {
    return encode(text, true);
  }

  /** The ids of {@code text} without BOS, e.g. for a continuation appended to an encoded prompt. */
  public int[] encodeNoBos(String text) {
    return encode(text, false);
  }

  /** The ids of {@code text}, after BOS when {@code addBos}. */
  public int[] encode(String text, boolean addBos) {
    long[] ids = hf.encode(text, false, false).getIds();
    int offset = addBos ? 1 : 0;
    int[] out = new int[ids.length + offset];
    if (addBos) out[0] = specialTokens.bos();
    for (int i = 0; i < ids.length; i++) out[i + offset] = Math.toIntExact(ids[i]);
    return out;
  }

  /**
   * Token ids with where each token begins in the text.
   *
   * @param ids the ids
   * @param starts for each id, the index in the text ({@link String} index) of its first character
   * @param ends for each id, the index just after its last character
   */
  public record Pieces(int[] ids, int[] starts, int[] ends) {}

  /**
   * The ids of {@code text}, with no BOS added (text that spells one, as a chat template writes it,
   * gives one), and where each token begins in {@code text}: what it takes to tell which tokens
   * come from which part of a text.
   */
  public Pieces encodeWithOffsets(String text) {
    Encoding e = hf.encode(text, false, false);
    long[] ids = e.getIds();
    CharSpan[] spans = e.getCharTokenSpans();
    int[] out = new int[ids.length];
    int[] starts = new int[ids.length];
    int[] ends = new int[ids.length];
    int previous = 0;
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
      // The Rust library counts Unicode code points; Java strings count UTF-16 units. A token with
      // no place in
      // the text (none so far) is put, empty, where the previous one ended.
      starts[i] = spans[i] == null ? previous : text.offsetByCodePoints(0, spans[i].getStart());
      ends[i] = spans[i] == null ? previous : text.offsetByCodePoints(0, spans[i].getEnd());
      previous = ends[i];
    }
    return new Pieces(out, starts, ends);
  }

  /** The text of {@code ids}, leaving out special tokens (BOS, EOS, ...). */
  public String decode(int[] ids) {
    return decode(ids, true);
  }

  /**
   * The text of {@code ids}; special tokens are written out (e.g. {@code <s>}) unless {@code
   * skipSpecial}.
   */
  public String decode(int[] ids, boolean skipSpecial) {
    for (int id : ids) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException(
            "token id "
                + id
                + " is outside the vocabulary of "
                + source
                + " (0 to "
                + (vocabSize - 1)
                + ").");
      }
    }
    return hf.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecial);
  }

  /** The number of token ids: the highest id plus one. */
  public int vocabSize() {
    return vocabSize;
  }

  /** The BOS, EOS, pad and unknown token ids. */
  public SpecialTokens specialTokens() {
    return specialTokens;
  }

  /** Where this tokenizer came from, for messages. */
  public String source() {
    return source;
  }

  /** Frees the native tokenizer. */
  @Override
  public void close() {
    hf.close();
  }

  private static String firstLine(String message) {
    if (message == null) return "no detail";
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
  }
}
