package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Small pieces the model commands share: task lists, device selection, prompt templates, folder checks. */
final class Cli {

  private Cli() {}

  /** {@code regimen}, {@code modality}, {@code icd10} or {@code all}. */
  static List<Task> tasks(String name) {
    if (name.toLowerCase(Locale.ROOT).equals("all")) return List.of(Task.REGIMEN, Task.MODALITY, Task.ICD10);
    try {
      return List.of(Task.fromName(name));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--task is \"" + name + "\", expected regimen, modality, icd10 or all.");
    }
  }

  /** The backend for {@code --device}; {@code auto}'s choice is told on {@code err}. */
  static Backend backend(String device, String precision, PrintWriter err) {
    String p = precision.toLowerCase(Locale.ROOT);
    if (!p.equals("fp32") && !p.equals("bf16")) {
      throw new IllegalArgumentException("--precision is \"" + precision + "\", expected fp32 or bf16.");
    }
    Backend b = Backends.select(device, line -> {
      err.println(line);
      err.flush();
    });
    if (p.equals("bf16") && b.name().toLowerCase(Locale.ROOT).contains("cpu")) {
      b.close();
      throw new IllegalArgumentException("--precision bf16 needs a GPU backend; the CPU computes in float32 "
          + "(use --precision fp32).");
    }
    return b;
  }

  /** The default prompts, or those of {@code file} where it sets them. */
  static PromptTemplates templates(Path file) throws IOException {
    return file == null ? PromptTemplates.defaults() : PromptTemplates.load(file);
  }

  /** Fails with one sentence unless {@code dir} is an existing folder. */
  static void requireFolder(Path dir, String option) throws IOException {
    if (!Files.exists(dir)) throw new NoSuchFileException(dir.toString());
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + dir + " is a file, not a folder.");
  }
}
