package dev.lorakit.eval.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Modality;
import dev.lorakit.eval.cases.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PromptTemplatesTest {

  @TempDir Path dir;

  static final Case CASE =
      new Case(
          "c1",
          "64-year-old woman with {braces} and C50.912 cancer of the left breast.",
          "Whole-breast radiotherapy 40 Gy in 15 fractions.",
          Modality.PHOTON,
          "C50.912");

  @ParameterizedTest
  @EnumSource(Task.class)
  void defaultPairsSplitPromptFromAnswer(Task task) {
    PromptPair p = PromptTemplates.defaults().pair(CASE, task);
    assertTrue(p.prompt().contains(CASE.diagnosis()), p.prompt());
    assertTrue(p.prompt().endsWith("\n"), "the answer starts on its own line");
    assertEquals(task.answer(CASE), p.completion());
    assertEquals(p.prompt() + p.completion(), p.text());
  }

  @Test
  void defaultInstructionsDifferPerTask() {
    PromptTemplates t = PromptTemplates.defaults();
    assertNotEquals(t.template(Task.REGIMEN), t.template(Task.MODALITY));
    assertNotEquals(t.template(Task.MODALITY), t.template(Task.ICD10));
    assertTrue(t.prompt(Task.MODALITY, "x").contains("photon, proton, electron or brachytherapy"));
  }

  @Test
  void jsonFileReplacesSomeTemplates() throws IOException {
    Path f = dir.resolve("prompts.json");
    Files.writeString(
        f,
        "{\"modality\": \"Modality for: {diagnosis}\\nAnswer: \", \"ICD10\": \"Code {diagnosis} {diagnosis}?\"}");
    PromptTemplates t = PromptTemplates.load(f);
    assertEquals(
        new PromptPair("Modality for: " + CASE.diagnosis() + "\nAnswer: ", "photon"),
        t.pair(CASE, Task.MODALITY));
    assertEquals("Code x x?", t.prompt(Task.ICD10, "x"));
    assertEquals(PromptTemplates.defaults().template(Task.REGIMEN), t.template(Task.REGIMEN));
  }

  @Test
  void propertiesFileWorksToo() throws IOException {
    Path f = dir.resolve("prompts.properties");
    Files.writeString(f, "# comment\nregimen = Regimen?\\n{diagnosis}\\n\n");
    assertEquals("Regimen?\nabc\n", PromptTemplates.load(f).prompt(Task.REGIMEN, "abc"));
  }

  @Test
  void badFilesNameTheFileAndKey() throws IOException {
    Path unknown = dir.resolve("u.json");
    Files.writeString(unknown, "{\"stage\": \"{diagnosis}\"}");
    assertMessage(unknown, "u.json: unknown task 'stage'");
    Path noPlaceholder = dir.resolve("n.properties");
    Files.writeString(noPlaceholder, "icd10=Give the code\n");
    assertMessage(noPlaceholder, "n.properties: template 'icd10' has no {diagnosis} placeholder");
    Path notText = dir.resolve("t.json");
    Files.writeString(notText, "{\"regimen\": 3}");
    assertMessage(notText, "t.json: template 'regimen' is not text");
    Path broken = dir.resolve("b.json");
    Files.writeString(broken, "{\"regimen\": ");
    assertMessage(broken, "b.json is not valid JSON");
    assertThrows(LorakitInputException.class, () -> new PromptTemplate("no placeholder"));
  }

  private static void assertMessage(Path file, String expected) {
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> PromptTemplates.load(file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void withReplacesOneTask() {
    PromptTemplates t =
        PromptTemplates.defaults().with(Task.REGIMEN, new PromptTemplate("R: {diagnosis} ->"));
    assertEquals("R: d ->", t.prompt(Task.REGIMEN, "d"));
    assertNotEquals(t.template(Task.REGIMEN), PromptTemplates.defaults().template(Task.REGIMEN));
  }
}
