package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model folder the user got wrong is a {@link LorakitInputException} whose sentence names the
 * file.
 */
class LorakitInputExceptionTest {

  @TempDir Path dir;

  private static void assertNames(LorakitInputException e, Path file, String what) {
    assertTrue(
        e.getMessage().contains(file.toString()) && e.getMessage().contains(what),
        "\"" + e.getMessage() + "\" should name " + file + " and " + what);
  }

  @Test
  void aFileWhereTheModelFolderShouldBe() throws IOException {
    Path file = Files.writeString(dir.resolve("model.txt"), "not a folder");
    assertNames(
        assertThrows(LorakitInputException.class, () -> ModelFolder.open(file)), file, "is a file");
  }

  @Test
  void aConfigOfAnotherArchitecture() throws IOException {
    Path config = Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"falcon\"}");
    assertNames(
        assertThrows(LorakitInputException.class, () -> ModelConfig.read(config)),
        config,
        "falcon");
  }

  @Test
  void aTokenizerJsonThatIsNotOneAndAChatTemplateThatIsMissing() throws IOException {
    Path notTokenizer = Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
    assertNames(
        assertThrows(LorakitInputException.class, () -> Tokenizer.open(notTokenizer)),
        notTokenizer,
        "model.vocab");
    Path noTemplate =
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    assertNames(
        assertThrows(LorakitInputException.class, () -> ChatTemplate.read(noTemplate)),
        noTemplate,
        "chat_template");
  }
}
