package dev.lorakit.eval.prompt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * One prompt template per task. The defaults are plain instruction prompts that end with a line
 * break where the answer begins. A small file can replace some or all of them, as JSON {@code
 * {"regimen": "...{diagnosis}...", "modality": "...", "icd10": "..."}} or as a properties file with
 * the same keys; tasks it leaves out keep their default.
 */
public final class PromptTemplates {

  private static final String FRAME =
      "### Instruction:\n%s\n\n### Patient:\n" + PromptTemplate.PLACEHOLDER + "\n\n### Answer:\n";

  private final Map<Task, PromptTemplate> templates;

  private PromptTemplates(Map<Task, PromptTemplate> templates) {
    this.templates = new EnumMap<>(templates);
  }

  /** The built-in templates. */
  public static PromptTemplates defaults() {
    Map<Task, PromptTemplate> t = new EnumMap<>(Task.class);
    t.put(
        Task.REGIMEN,
        frame(
            "You are a radiation oncologist. Recommend the radiotherapy regimen for this patient: "
                + "dose, number of fractions and any concurrent treatment, in one sentence."));
    t.put(
        Task.MODALITY,
        frame(
            "You are a radiation oncologist. Name the treatment modality for this patient: "
                + "photon, proton, electron or brachytherapy."));
    t.put(
        Task.ICD10,
        frame("You are a clinical coder. Give the ICD-10-CM code of this patient's diagnosis."));
    return new PromptTemplates(t);
  }

  private static PromptTemplate frame(String instruction) {
    return new PromptTemplate(String.format(FRAME, instruction));
  }

  /**
   * The defaults with the templates in {@code file} put over them. A file ending in {@code
   * .properties} is read as properties, any other as JSON.
   *
   * @throws LorakitInputException naming the file and key for an unknown task, a value that is not
   *     text, a template without {@value PromptTemplate#PLACEHOLDER}, or a file that does not parse
   */
  public static PromptTemplates load(Path file) throws IOException {
    String text = dev.lorakit.core.io.TextFiles.readUtf8(file);
    Map<String, String> entries =
        file.toString().endsWith(".properties") ? properties(text) : json(file, text);
    PromptTemplates result = defaults();
    for (Map.Entry<String, String> e : entries.entrySet()) {
      Task task;
      try {
        task = Task.fromName(e.getKey());
      } catch (LorakitInputException ex) {
        throw new LorakitInputException(
            file + ": unknown task '" + e.getKey() + "', expected regimen, modality or icd10.");
      }
      if (!e.getValue().contains(PromptTemplate.PLACEHOLDER)) {
        throw new LorakitInputException(
            file
                + ": template '"
                + e.getKey()
                + "' has no "
                + PromptTemplate.PLACEHOLDER
                + " placeholder.");
      }
      result.templates.put(task, new PromptTemplate(e.getValue()));
    }
    return result;
  }

  private static Map<String, String> properties(String text) throws IOException {
    Properties p = new Properties();
    try (Reader in = new StringReader(text)) {
      p.load(in);
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) entries.put(key, p.getProperty(key));
    return entries;
  }

  private static Map<String, String> json(Path file, String text) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new LorakitInputException(
          file + " is not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
    }
    if (root == null || !root.isObject()) {
      throw new LorakitInputException(
          file + ": expected a JSON object with keys regimen, modality and icd10.");
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (!e.getValue().isTextual()) {
        throw new LorakitInputException(file + ": template '" + e.getKey() + "' is not text.");
      }
      entries.put(e.getKey(), e.getValue().asText());
    }
    return entries;
  }

  /** This set with {@code template} for {@code task}. */
  public PromptTemplates with(Task task, PromptTemplate template) {
    PromptTemplates copy = new PromptTemplates(templates);
    copy.templates.put(task, template);
    return copy;
  }

  /** The template for {@code task}. */
  public PromptTemplate template(Task task) {
    return templates.get(task);
  }

  /** The prompt alone, for asking a model about a diagnosis. */
  public String prompt(Task task, String diagnosis) {
    return templates.get(task).render(diagnosis);
  }

  /** The prompt for {@code c} and its reference answer for {@code task} ({@link Task#answer}). */
  public PromptPair pair(Case c, Task task) {
    return new PromptPair(prompt(task, c.diagnosis()), task.answer(c));
  }
}
