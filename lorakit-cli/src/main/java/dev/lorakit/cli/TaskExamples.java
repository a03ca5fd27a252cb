package dev.lorakit.cli;

import dev.lorakit.core.train.Example;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptPair;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.models.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cases turned into training examples: for each case and task, the prompt (with BOS) and the reference answer
 * followed by EOS; only the answer and EOS are learned. Examples longer than the sequence limit are left out
 * (and counted), never cut: a cut answer would teach the model to stop mid-sentence.
 *
 * @param examples the examples, case by case, tasks in the order given
 * @param skipped  how many were longer than the limit
 */
record TaskExamples(List<Example> examples, int skipped) {

  static TaskExamples of(List<Case> cases, List<Task> tasks, PromptTemplates templates, Tokenizer tokenizer,
      int maxSeqLen) {
    List<Example> out = new ArrayList<>();
    int skipped = 0;
    int eos = tokenizer.specialTokens().eos();
    for (Case c : cases) {
      for (Task task : tasks) {
        PromptPair pair = templates.pair(c, task);
        int[] prompt = tokenizer.encode(pair.prompt());
        int[] answer = tokenizer.encodeNoBos(pair.completion());
        int[] completion = java.util.Arrays.copyOf(answer, answer.length + 1);
        completion[answer.length] = eos;
        if (prompt.length + completion.length > maxSeqLen) {
          skipped++;
          continue;
        }
        out.add(Example.promptCompletion(prompt, completion));
      }
    }
    return new TaskExamples(out, skipped);
  }
}
