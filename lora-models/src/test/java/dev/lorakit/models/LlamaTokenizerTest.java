package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The LLaMA-2 tokenizer as {@code tokenizer.json} (through {@link Tokenizer}) against the same
 * tokenizer as {@code tokenizer.model} (Google's SentencePiece, through DJL). Its licence keeps
 * both files out of the repository, so these tests read the shared fixtures and are skipped,
 * visibly, without them.
 *
 * <p>The two agree on ordinary text, whitespace runs, tabs, newlines, digits and byte-fallback
 * characters. They legitimately differ on text that spells a special token ({@code <s>}, {@code
 * </s>}, {@code <unk>}): {@code tokenizer.json} lists these as added special tokens, which the
 * tokenizers library (like transformers) cuts out of the raw text and maps to their ids, and with
 * this file's "legacy" normalizer each piece between them then gets its own leading "▁";
 * SentencePiece knows nothing of added tokens and spells the characters out. lorakit's prompts are
 * built from ids for that reason, never from such strings.
 */
class LlamaTokenizerTest {

  private static Tokenizer hf;
  private static SpTokenizer sp;

  private static final String JSON = "tokenizers/llama-2/tokenizer.json";
  private static final String MODEL = "tokenizers/llama-2/tokenizer.model";

  @BeforeAll
  static void open() throws IOException {
    Optional<Path> json = Fixtures.shared(JSON);
    Optional<Path> model = Fixtures.shared(MODEL);
    if (json.isPresent()) hf = Tokenizer.open(json.get());
    if (model.isPresent()) sp = new SpTokenizer(model.get());
  }

  /** Each test is reported as skipped, with the reason, when the licensed files are not there. */
  @BeforeEach
  void requireFixtures() {
    Fixtures.skipUnlessFound(Optional.ofNullable(hf).map(t -> Path.of(t.source())), JSON);
    Fixtures.skipUnlessFound(Optional.ofNullable(sp).map(t -> Path.of(MODEL)), MODEL);
  }

  @AfterAll
  static void close() {
    if (hf != null) hf.close();
    if (sp != null) sp.close();
  }

  @Test
  void helloDogAsPublished() {
    assertArrayEquals(
        new int[] {1, 15043, 29892, 590, 11203, 338, 274, 1082},
        hf.encode("Hello, my dog is cute"));
    assertEquals(
        new SpecialTokens(1, 2, OptionalInt.empty(), OptionalInt.of(0)), hf.specialTokens());
    assertEquals(32000, hf.vocabSize());
  }

  @Test
  void agreesWithSentencePieceOnClinicalText() {
    SpProcessor p = sp.getProcessor();
    for (String text : ClinicalText.SENTENCES) {
      assertArrayEquals(p.encode(text), hf.encodeNoBos(text), () -> "text: " + visible(text));
      assertEquals(text, hf.decode(hf.encode(text)), () -> "round trip: " + visible(text));
    }
  }

  /** Seeded random strings over an alphabet heavy in whitespace, digits, units and non-ASCII. */
  @Test
  void agreesWithSentencePieceOnRandomStrings() {
    SpProcessor p = sp.getProcessor();
    int[] alphabet =
        " \t\n\r  abcXYZ0123456789.,/-+=%°µ≥≤éÅñü€😀中\u00a0\u3000\u2009ﬁ①ｆ\u0301"
            .codePoints()
            .toArray();
    Random random = new Random(20240315);
    for (int i = 0; i < 3000; i++) {
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(30); n > 0; n--)
        text.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
      String t = text.toString();
      assertArrayEquals(p.encode(t), hf.encodeNoBos(t), () -> "text: " + visible(t));
    }
  }

  /**
   * Text made of random vocabulary pieces, which exercises the BPE merges rather than the
   * normalizer.
   */
  @Test
  void agreesWithSentencePieceOnRandomVocabularyPieces() {
    SpProcessor p = sp.getProcessor();
    Random random = new Random(7);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int[] ids = new int[1 + random.nextInt(6)];
      for (int j = 0; j < ids.length; j++)
        ids[j] = 3 + random.nextInt(hf.vocabSize() - 3); // no <unk> <s> </s>
      texts.add(hf.decode(ids));
    }
    for (String t : texts)
      assertArrayEquals(p.encode(t), hf.encodeNoBos(t), () -> "text: " + visible(t));
  }

  /**
   * The one known difference (see the class comment), asserted so that a change in either library
   * shows.
   */
  @Test
  void specialTokenSpellingsDiffer() {
    SpProcessor p = sp.getProcessor();
    assertArrayEquals(new int[] {1}, hf.encodeNoBos("<s>"));
    assertArrayEquals(new int[] {529, 29879, 29958}, p.encode("<s>"));
    assertArrayEquals(new int[] {263, 2, 289}, hf.encodeNoBos("a</s>b")); // "▁a", "</s>", "▁b"
    assertArrayEquals(new int[] {263, 829, 29879, 29958, 29890}, p.encode("a</s>b"));
  }

  private static String visible(String s) {
    return '"' + s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"';
  }
}
