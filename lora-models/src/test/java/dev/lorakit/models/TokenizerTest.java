package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TokenizerTest {

  private static Tokenizer mistral;

  @BeforeAll
  static void open() {
    mistral = Tokenizer.bundledMistral();
  }

  @AfterAll
  static void close() {
    mistral.close();
  }

  @Test
  void helloWorldAsPublished() {
    assertArrayEquals(new int[] {1, 22557, 1526, 28808}, mistral.encode("Hello world!"));
    assertArrayEquals(new int[] {22557, 1526, 28808}, mistral.encodeNoBos("Hello world!"));
    assertArrayEquals(mistral.encodeNoBos("Hello world!"), mistral.encode("Hello world!", false));
    assertArrayEquals(mistral.encode("Hello world!"), mistral.encode("Hello world!", true));
  }

  @Test
  void specialTokensAndVocabulary() {
    assertEquals(32000, mistral.vocabSize());
    assertEquals(
        new SpecialTokens(1, 2, OptionalInt.empty(), OptionalInt.of(0)), mistral.specialTokens());
    assertEquals(0, mistral.specialTokens().paddingId());
  }

  static List<String> texts() {
    return ClinicalText.SENTENCES;
  }

  /**
   * Our BOS handling gives what the file's own post-processor gives (DJL encoding with special
   * tokens).
   */
  @Test
  void bosMatchesThePostProcessorTemplate() throws IOException {
    try (InputStream in = Tokenizer.class.getResourceAsStream(Tokenizer.BUNDLED_MISTRAL);
        HuggingFaceTokenizer hf =
            HuggingFaceTokenizer.newInstance(
                in, Map.of("truncation", "false", "padding", "false"))) {
      for (String text : texts()) {
        long[] expected = hf.encode(text, true, false).getIds();
        assertArrayEquals(
            expected, Arrays.stream(mistral.encode(text)).asLongStream().toArray(), text);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("texts")
  void decodeInvertsEncode(String text) {
    assertEquals(text, mistral.decode(mistral.encode(text)));
    assertEquals(text, mistral.decode(mistral.encodeNoBos(text)));
  }

  @Test
  void decodeCanWriteSpecialTokens() {
    int[] ids = mistral.encode("Hello world!");
    assertEquals("<s> Hello world!", mistral.decode(ids, false));
    assertEquals("Hello world!", mistral.decode(ids, true));
  }

  @Test
  void longTextIsNotTruncated() {
    String text = "Whole breast 40.05 Gy/15 fx. ".repeat(400);
    int[] ids = mistral.encode(text);
    assertTrue(ids.length > 4000, "only " + ids.length + " ids");
    assertEquals(text, mistral.decode(ids));
  }

  @Test
  void idsOutsideTheVocabularyAreRefused() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> mistral.decode(new int[] {1, 32000}));
    assertTrue(
        e.getMessage().contains("32000") && e.getMessage().contains("0 to 31999"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> mistral.decode(new int[] {-1}));
  }

  @Test
  void opensAFileOrItsFolder(@TempDir Path dir) throws IOException {
    Path file = copyBundled(dir);
    for (Path p : List.of(file, dir)) {
      try (Tokenizer t = Tokenizer.open(p)) {
        assertArrayEquals(new int[] {1, 22557, 1526, 28808}, t.encode("Hello world!"));
        assertEquals(file.toString(), t.source());
      }
    }
  }

  @Test
  void tokenizerConfigBesideTheFileNamesSpecialTokens(@TempDir Path dir) throws IOException {
    Path file = copyBundled(dir);
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"eos_token\": {\"content\": \"<unk>\", \"special\": true}, \"pad_token\": \"</s>\"}");
    try (Tokenizer t = Tokenizer.open(file)) {
      assertEquals(
          new SpecialTokens(1, 0, OptionalInt.of(2), OptionalInt.of(0)), t.specialTokens());
    }
  }

  @Test
  void theModelConfigDecidesBosEosAndPad(@TempDir Path dir) throws IOException {
    Path file = copyBundled(dir);
    ModelConfig base = ModelConfig.read(Fixtures.resource("configs/mistral-7b-v0.1/config.json"));
    ModelConfig custom =
        new ModelConfig(
            base.modelType(),
            base.vocab(),
            base.hidden(),
            base.intermediate(),
            base.layers(),
            base.heads(),
            base.kvHeads(),
            base.headDim(),
            base.maxPositions(),
            base.rmsEps(),
            base.ropeTheta(),
            base.slidingWindow(),
            false,
            2,
            List.of(1, 2),
            OptionalInt.of(0),
            base.dtype());
    try (Tokenizer t = Tokenizer.open(file, custom)) {
      assertEquals(
          new SpecialTokens(2, 1, OptionalInt.of(0), OptionalInt.of(0)), t.specialTokens());
      assertEquals(2, t.encode("x")[0]);
    }
    ModelConfig tiny = ModelConfig.read(Fixtures.resource("hf/tiny-llama/base/config.json"));
    var e = assertThrows(LorakitInputException.class, () -> Tokenizer.open(file, tiny));
    assertEquals(file + " has 32000 token ids but the model's vocab_size is 256.", e.getMessage());
  }

  @Test
  void badFilesAreNamed(@TempDir Path dir) throws IOException {
    assertThrows(NoSuchFileException.class, () -> Tokenizer.open(dir.resolve("absent.json")));

    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"model\": {\"vocab\": {\"a\": 0,}}");
    var e = assertThrows(LorakitInputException.class, () -> Tokenizer.open(broken));
    assertTrue(e.getMessage().startsWith(broken + " is not valid JSON (at line 1"), e.getMessage());

    Path notTokenizer = dir.resolve("config.json");
    Files.writeString(notTokenizer, "{\"model_type\": \"llama\"}");
    e = assertThrows(LorakitInputException.class, () -> Tokenizer.open(notTokenizer));
    assertTrue(e.getMessage().startsWith(notTokenizer + " has no model.vocab"), e.getMessage());

    // Valid JSON with a vocabulary and special tokens, but a model type the tokenizers library
    // rejects.
    Path strange = dir.resolve("strange.json");
    Files.writeString(
        strange,
        """
        {"model": {"type": "NoSuchModel", "vocab": {"<s>": 0, "</s>": 1}}, "added_tokens": []}""");
    e = assertThrows(LorakitInputException.class, () -> Tokenizer.open(strange));
    assertTrue(
        e.getMessage()
            .startsWith(strange + " is not a tokenizer.json the tokenizers library can read"),
        e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());

    Path noEos = dir.resolve("no-eos.json");
    Files.writeString(
        noEos,
        """
        {"model": {"type": "WordLevel", "vocab": {"<s>": 0, "a": 1}, "unk_token": "a"}, "added_tokens": []}""");
    e = assertThrows(LorakitInputException.class, () -> Tokenizer.open(noEos));
    assertTrue(
        e.getMessage().startsWith(noEos + " does not tell its end-of-sequence token"),
        e.getMessage());
  }

  private static Path copyBundled(Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    try (InputStream in = Tokenizer.class.getResourceAsStream(Tokenizer.BUNDLED_MISTRAL)) {
      Files.copy(in, file);
    }
    return file;
  }
}
