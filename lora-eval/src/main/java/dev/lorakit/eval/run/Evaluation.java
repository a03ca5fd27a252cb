package dev.lorakit.eval.run;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.metrics.TaskScorer;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.report.TaskComparison;
import dev.lorakit.eval.stats.Bootstrap;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs the task suite: for every test case and task, asks the base model and (when given) the tuned
 * model, scores each answer (ROUGE-1 F without stemming, as {@code lorakit score}, for the regimen;
 * 0/1 correctness for modality and ICD-10), and compares the two per task ({@link TaskComparison}:
 * means with percentile-bootstrap 95% intervals, macro P/R/F1 or ROUGE-1, and the one-sided
 * Wilcoxon signed-rank test of tuned &gt; base on the paired per-case differences).
 *
 * <p>The Wilcoxon test uses {@code zero_method="wilcox"} (scipy's default): cases where both models
 * score the same are dropped before ranking. For 0/1 correctness most differences are 0 or +-1, so
 * the test reduces to a sign test on the cases where exactly one model is right, with all ranks
 * tied; scipy's {@code auto} then uses the normal approximation (or, for at most 13 non-zero
 * differences, the permutation distribution). When every difference is zero there is no evidence
 * either way and the p-value is 1 (or undefined, as scipy reports it). Pratt's method would keep
 * the zeros in the ranking; with 0/1 scores it only shifts every rank by the number of zeros and
 * gives nearly the same p-values, so the simpler, more common convention is used.
 *
 * @param templates the prompts
 * @param maxNewTokens the answer length limit per task, in tokens
 * @param bootstrap the resampling of the confidence intervals
 */
public record Evaluation(
    PromptTemplates templates, Map<Task, Integer> maxNewTokens, Bootstrap bootstrap) {

  /** Told about each answered case, e.g. to show progress. */
  @FunctionalInterface
  public interface Progress {
    /** {@code done} of {@code total} generations are finished. */
    void update(int done, int total);
  }

  /**
   * What one model answered on one task.
   *
   * @param task the task
   * @param answers case id to answer text, in case order
   * @param score the scores; null when the cases hold no reference answers ({@link #answerOnly})
   */
  public record TaskAnswers(Task task, Map<String, String> answers, TaskScore score) {}

  /**
   * The outcome.
   *
   * @param base the base model's answers per task
   * @param tuned the tuned model's answers per task; empty when no tuned model was given
   * @param comparisons base vs tuned per task; empty when no tuned model was given
   */
  public record Result(
      List<TaskAnswers> base, List<TaskAnswers> tuned, List<TaskComparison> comparisons) {
    public Result {
      base = List.copyOf(base);
      tuned = List.copyOf(tuned);
      comparisons = List.copyOf(comparisons);
    }
  }

  public Evaluation {
    Objects.requireNonNull(templates, "templates");
    maxNewTokens = Map.copyOf(maxNewTokens);
    Objects.requireNonNull(bootstrap, "bootstrap");
  }

  /**
   * Answer-length limits that fit the task suite's answers: modality 4, ICD-10 8, regimen 40
   * tokens.
   */
  public static Map<Task, Integer> defaultMaxNewTokens() {
    Map<Task, Integer> m = new EnumMap<>(Task.class);
    m.put(Task.MODALITY, 4);
    m.put(Task.ICD10, 8);
    m.put(Task.REGIMEN, 40);
    return m;
  }

  /**
   * Evaluates {@code base} and, unless it is null, {@code tuned} on {@code cases} for {@code
   * tasks}.
   *
   * @throws LorakitInputException when there are no cases or tasks
   */
  public Result run(
      List<Case> cases,
      List<Task> tasks,
      AnswerGenerator base,
      AnswerGenerator tuned,
      Progress progress) {
    if (cases.isEmpty() || tasks.isEmpty()) {
      throw new LorakitInputException("An evaluation needs at least one test case and one task.");
    }
    int total = cases.size() * tasks.size() * (tuned == null ? 1 : 2);
    int[] done = {0};
    List<TaskAnswers> baseAnswers = new ArrayList<>();
    List<TaskAnswers> tunedAnswers = new ArrayList<>();
    List<TaskComparison> comparisons = new ArrayList<>();
    for (Task task : tasks) {
      TaskAnswers b = answer(task, cases, base, progress, done, total);
      baseAnswers.add(b);
      if (tuned != null) {
        TaskAnswers t = answer(task, cases, tuned, progress, done, total);
        tunedAnswers.add(t);
        comparisons.add(TaskComparison.of(b.score(), t.score(), bootstrap));
      }
    }
    return new Result(baseAnswers, tunedAnswers, comparisons);
  }

  /**
   * Only asks {@code model} about {@code cases}, which need no reference answers (unlabelled
   * patients): the answers come back unscored.
   *
   * @throws LorakitInputException when there are no cases or tasks
   */
  public List<TaskAnswers> answerOnly(
      List<Case> cases, List<Task> tasks, AnswerGenerator model, Progress progress) {
    if (cases.isEmpty() || tasks.isEmpty()) {
      throw new LorakitInputException("An evaluation needs at least one test case and one task.");
    }
    int[] done = {0};
    List<TaskAnswers> out = new ArrayList<>();
    for (Task task : tasks) {
      out.add(
          new TaskAnswers(
              task,
              answers(task, cases, model, progress, done, cases.size() * tasks.size()),
              null));
    }
    return out;
  }

  private TaskAnswers answer(
      Task task,
      List<Case> cases,
      AnswerGenerator model,
      Progress progress,
      int[] done,
      int total) {
    Map<String, String> references = new LinkedHashMap<>();
    for (Case c : cases) references.put(c.id(), task.answer(c));
    Map<String, String> answers = answers(task, cases, model, progress, done, total);
    TaskScore score = new TaskScorer(task, false).score(references, answers);
    return new TaskAnswers(task, answers, score);
  }

  private Map<String, String> answers(
      Task task,
      List<Case> cases,
      AnswerGenerator model,
      Progress progress,
      int[] done,
      int total) {
    int limit = maxNewTokens.getOrDefault(task, defaultMaxNewTokens().get(task));
    Map<String, String> answers = new LinkedHashMap<>();
    for (Case c : cases) {
      answers.put(c.id(), model.answer(templates.prompt(task, c.diagnosis()), limit));
      done[0]++;
      if (progress != null) {
        progress.update(done[0], total);
      }
    }
    return answers;
  }
}
