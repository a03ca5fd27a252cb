package dev.lorakit.eval.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a report folder shows.
 *
 * @param title the report's heading
 * @param baseModel the base model's name as shown in the report
 * @param tunedModel the tuned model's name
 * @param tasks one comparison per task, in the order shown
 * @param training the training loss curve (may be empty: no chart then)
 * @param validation the validation losses of the training run (may be empty)
 * @param review regimens for blinded clinician review (may be empty: no sheet then)
 * @param seed seed of the review sheet's shuffle
 * @param baselines the constant-answer baseline per task, shown beside base and tuned (may be
 *     empty)
 * @param provenance what the reader needs to know where the numbers come from, in order: model and
 *     adapter paths, data files, templates, hyper-parameters, seed, lorakit version, date (may be
 *     empty)
 */
public record StudyReport(
    String title,
    String baseModel,
    String tunedModel,
    List<TaskComparison> tasks,
    List<TrainingPoint> training,
    List<TrainingPoint> validation,
    List<ReviewItem> review,
    long seed,
    List<Baseline> baselines,
    Map<String, String> provenance) {

  public StudyReport {
    tasks = List.copyOf(tasks);
    training = List.copyOf(training);
    validation = List.copyOf(validation);
    review = List.copyOf(review);
    baselines = List.copyOf(baselines);
    provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
  }

  /** A report without baselines or provenance. */
  public StudyReport(
      String title,
      String baseModel,
      String tunedModel,
      List<TaskComparison> tasks,
      List<TrainingPoint> training,
      List<ReviewItem> review,
      long seed) {
    this(
        title,
        baseModel,
        tunedModel,
        tasks,
        training,
        List.of(),
        review,
        seed,
        List.of(),
        Map.of());
  }
}
