package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.run.DecoderAnswerGenerator;
import dev.lorakit.eval.run.Evaluation;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lorakit generate}: a model's answer to a prompt or to the cases of a file. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generates text with the model (and adapter): greedy by default, or sampled with --temperature, --top-k and "
          + "--top-p from a seed.",
      "With --task, the text of --prompt is a patient's diagnosis put into the task's prompt template; with "
          + "--case-file, every case's diagnosis is, and each answer is printed as a JSON line {id, task, answer}."
    })
final class GenerateCommand implements Callable<Integer> {

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--task",
      paramLabel = "TASK",
      description =
          "regimen, modality, icd10 or all: wrap the input in the task's prompt (needed with --case-file).")
  String task;

  static final class Input {
    @Option(
        names = "--prompt",
        required = true,
        paramLabel = "TEXT",
        description = "The prompt (or diagnosis, with --task).")
    String prompt;

    @Option(
        names = "--case-file",
        required = true,
        paramLabel = "FILE",
        description = "Cases (JSONL) to answer: {id, diagnosis} is enough.")
    Path caseFile;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  @Option(
      names = "--templates",
      paramLabel = "FILE",
      description = "Prompt templates, as for train.")
  Path templates;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      description =
          "Tokens to generate at most (default: 64, or with --task modality 4, icd10 8, regimen 40).")
  Integer maxNewTokens;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      paramLabel = "T",
      description =
          "0 for greedy decoding; otherwise logits are divided by T and sampled (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--top-k",
      defaultValue = "0",
      paramLabel = "K",
      description =
          "Sample among the K most likely tokens only, 0 for all (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--top-p",
      defaultValue = "1.0",
      paramLabel = "P",
      description =
          "Sample among the most likely tokens whose probability reaches P (default: ${DEFAULT-VALUE}).")
  double topP;

  @Option(
      names = "--seed",
      defaultValue = "0",
      paramLabel = "SEED",
      description = "Seed of the sampling (default: ${DEFAULT-VALUE}).")
  long seed;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Task> tasks = task == null ? List.of() : Cli.tasks(task);
    if (input.caseFile != null && tasks.isEmpty()) {
      throw new LorakitInputException(
          "--case-file needs --task (which question to ask about each case).");
    }
    if (maxNewTokens != null && maxNewTokens < 1)
      throw new LorakitInputException("--max-new-tokens must be at least 1.");
    Sampler.Settings sampling = new Sampler.Settings(temperature, topK, topP, seed);
    PromptTemplates prompts = Cli.templates(templates);
    List<Case> cases =
        input.caseFile == null
            ? List.of()
            : CaseFile.read(input.caseFile, List.of()); // answers not needed
    try (Backend backend = modelOptions.backend(err);
        LoraModel m = modelOptions.open(backend);
        LoraWeights adapter = modelOptions.adapter(m, backend)) {
      if (adapter != null) m.decoder().setLora(adapter);
      DecoderAnswerGenerator gen = new DecoderAnswerGenerator(m.decoder(), m.tokenizer(), sampling);
      if (input.prompt != null && tasks.isEmpty()) {
        o.println(gen.answer(input.prompt, maxNewTokens == null ? 64 : maxNewTokens));
      } else if (input.prompt != null) {
        for (Task t : tasks) {
          o.println(
              (tasks.size() > 1 ? t.answerField() + ": " : "")
                  + gen.answer(prompts.prompt(t, input.prompt), limit(t)));
        }
      } else {
        ObjectMapper json = new ObjectMapper();
        for (Case c : cases) {
          for (Task t : tasks) {
            ObjectNode line = json.createObjectNode();
            line.put("id", c.id());
            line.put("task", t.answerField());
            line.put("answer", gen.answer(prompts.prompt(t, c.diagnosis()), limit(t)));
            o.println(line);
          }
          o.flush();
        }
      }
      m.decoder().setLora(null);
      o.flush();
      return 0;
    }
  }

  private int limit(Task t) {
    return maxNewTokens != null ? maxNewTokens : Evaluation.defaultMaxNewTokens().get(t);
  }
}
