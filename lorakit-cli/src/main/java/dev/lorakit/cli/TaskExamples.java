package dev.lorakit.cli;

import dev.lorakit.core.train.Example;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptPair;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.models.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Cases turned into training examples: for each case and task, the prompt (with BOS) and the
 * reference answer followed by EOS; only the answer and EOS are learned. Examples longer than the
 * sequence limit are left out (and counted), never cut: a cut answer would teach the model to stop
 * mid-sentence.
 *
 * @param examples the examples, case by case, tasks in the order given
 * @param skipped how many were longer than the limit
 * @param skippedCases for cases: the ids of those with an example left out
 */
record TaskExamples(List<Example> examples, int skipped, List<String> skippedCases) {

  /** Examples of data other than cases. */
  TaskExamples(List<Example> examples, int skipped) {
    this(examples, skipped, List.of());
  }

  /**
   * The sentence saying how many {@code what} (e.g. "examples") were left out for length, naming
   * the cases; null when none was.
   */
  String leftOut(String what, int maxSeqLen) {
    if (skipped == 0) return null;
    return String.format(
        Locale.ROOT,
        "Left out %d of %d %s longer than --max-seq-len %d%s.",
        skipped,
        skipped + examples.size(),
        what,
        maxSeqLen,
        skippedCases.isEmpty()
            ? ""
            : " (case"
                + (skippedCases.size() == 1 ? " " : "s ")
                + Cli.firstTen(skippedCases)
                + ")");
  }

  static TaskExamples of(
      List<Case> cases,
      List<Task> tasks,
      PromptTemplates templates,
      Tokenizer tokenizer,
      int maxSeqLen) {
    List<Example> out = new ArrayList<>();
    List<String> skippedCases = new ArrayList<>();
    int skipped = 0;
    for (Case c : cases) {
      boolean whole = true;
      for (Task task : tasks) {
        Example e = example(templates.pair(c, task), tokenizer, maxSeqLen);
        if (e == null) {
          skipped++;
          whole = false;
        } else {
          out.add(e);
        }
      }
      if (!whole) skippedCases.add(c.id());
    }
    return new TaskExamples(out, skipped, skippedCases);
  }

  /**
   * The prompt with BOS, then the completion and EOS, only those learned; null when longer than
   * {@code maxSeqLen}.
   */
  static Example example(PromptPair pair, Tokenizer tokenizer, int maxSeqLen) {
    int[] prompt = tokenizer.encode(pair.prompt());
    int[] answer = tokenizer.encodeNoBos(pair.completion());
    int[] completion = Arrays.copyOf(answer, answer.length + 1);
    completion[answer.length] = tokenizer.specialTokens().eos();
    return prompt.length + completion.length > maxSeqLen
        ? null
        : Example.promptCompletion(prompt, completion);
  }
}
