package dev.lorakit.eval.report;

import java.util.List;

/**
 * Everything a report folder shows.
 *
 * @param title the report's heading
 * @param baseModel the base model's name as shown in the report
 * @param tunedModel the tuned model's name
 * @param tasks one comparison per task, in the order shown
 * @param training the training loss curve (may be empty: no chart then)
 * @param review regimens for blinded clinician review (may be empty: no sheet then)
 * @param seed seed of the review sheet's shuffle
 */
public record StudyReport(
    String title,
    String baseModel,
    String tunedModel,
    List<TaskComparison> tasks,
    List<TrainingPoint> training,
    List<ReviewItem> review,
    long seed) {

  public StudyReport {
    tasks = List.copyOf(tasks);
    training = List.copyOf(training);
    review = List.copyOf(review);
  }
}
