package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Small pieces the model commands share: task lists, device selection, prompt templates, folder
 * checks.
 */
final class Cli {

  private Cli() {}

  /** {@code regimen}, {@code modality}, {@code icd10} or {@code all}. */
  static List<Task> tasks(String name) {
    if (name.toLowerCase(Locale.ROOT).equals("all"))
      return List.of(Task.REGIMEN, Task.MODALITY, Task.ICD10);
    try {
      return List.of(Task.fromName(name));
    } catch (LorakitInputException e) {
      throw new LorakitInputException(
          "--task is \"" + name + "\", expected regimen, modality, icd10 or all.", e);
    }
  }

  /**
   * The backend for {@code --device} that can compute in {@code --precision}: the one place where
   * every command turns those two options into a backend. {@code auto}'s choice is told on {@code
   * err}.
   */
  static Backend backend(String device, Precision precision, PrintWriter err) {
    Backend b;
    try {
      b =
          Backends.select(
              device,
              line -> {
                err.println(line);
                err.flush();
              });
    } catch (LorakitInputException e) {
      throw forOption("--device " + device, e);
    }
    if (!b.supports(precision)) {
      String name = b.name().replaceAll(" \\(.*", "");
      b.close();
      throw new LorakitInputException(
          "--precision "
              + precision.label()
              + " needs a GPU: the "
              + name
              + " backend computes in fp32 only; use --precision fp32 or --device cuda.");
    }
    return b;
  }

  /** {@code --precision}'s value: fp32 or bf16. */
  static Precision precision(String name) {
    try {
      return Precision.parse(name);
    } catch (LorakitInputException e) {
      throw forOption("--precision " + name, e);
    }
  }

  /**
   * The library's sentence about a value the user gave, led by the option that gave it ({@code
   * "--device cuda: the cuda device cannot be used: ..."}): the library does not know the command
   * line's words, the user does.
   */
  static LorakitInputException forOption(String optionAndValue, LorakitInputException e) {
    String m = e.getMessage();
    String lowered =
        m.length() > 1 && Character.isUpperCase(m.charAt(0)) && !Character.isUpperCase(m.charAt(1))
            ? Character.toLowerCase(m.charAt(0)) + m.substring(1)
            : m;
    return new LorakitInputException(optionAndValue + ": " + lowered, e);
  }

  /** The default prompts, or those of {@code file} where it sets them. */
  static PromptTemplates templates(Path file) throws IOException {
    return file == null ? PromptTemplates.defaults() : PromptTemplates.load(file);
  }

  /**
   * Creates the folder that will hold {@code file} (an output the user named), with one sentence if
   * it cannot.
   */
  static void createParentFolder(Path file, String option) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || Files.isDirectory(parent)) return;
    try {
      Files.createDirectories(parent);
    } catch (FileSystemException e) {
      Path existing = parent;
      while (existing != null && !Files.exists(existing)) existing = existing.getParent();
      String why =
          existing != null && !Files.isDirectory(existing)
              ? ", because " + existing + " is a file"
              : e instanceof AccessDeniedException
                  ? " (permission denied)"
                  : " ("
                      + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason())
                      + ")";
      throw new IOException(
          option + " " + file + ": cannot create the folder " + parent + why + ".");
    }
  }

  /**
   * The first ten of {@code names}, comma-separated, and how many more there are: for a sentence
   * naming them.
   */
  static String firstTen(List<String> names) {
    return String.join(", ", names.subList(0, Math.min(10, names.size())))
        + (names.size() > 10 ? " and " + (names.size() - 10) + " more" : "");
  }

  /** Fails with one sentence naming the option unless {@code dir} is an existing folder. */
  static void requireFolder(Path dir, String option) {
    if (!Files.exists(dir))
      throw new LorakitInputException(option + " " + dir + ": no such folder.");
    if (!Files.isDirectory(dir))
      throw new LorakitInputException(option + " " + dir + " is a file, not a folder.");
  }

  /**
   * Fails with one sentence naming the option when the output file {@code file} exists (or is a
   * folder), unless {@code overwrite}: a command that writes one file never replaces one by
   * surprise.
   */
  static void requireNewFile(Path file, String option, boolean overwrite) {
    if (Files.isDirectory(file))
      throw new LorakitInputException(option + " " + file + " is a folder, not a file.");
    if (Files.exists(file) && !overwrite) {
      throw new LorakitInputException(
          option
              + " "
              + file
              + " already exists; give --overwrite to replace it, or "
              + "choose another file.");
    }
  }

  /**
   * Fails with one sentence naming the option unless {@code file} is an existing file (null: not
   * given).
   */
  static void requireFile(Path file, String option) {
    if (file == null) return;
    if (!Files.exists(file))
      throw new LorakitInputException(option + " " + file + ": no such file.");
    if (Files.isDirectory(file))
      throw new LorakitInputException(option + " " + file + " is a folder, not a file.");
  }
}
