/**
 * The study's outputs: {@link dev.lorakit.eval.report.ReportWriter} writes a report folder
 * (Markdown, JSON, PNG charts drawn off screen by {@link dev.lorakit.eval.report.Charts})
 * atomically from a {@link dev.lorakit.eval.report.StudyReport}; {@link
 * dev.lorakit.eval.report.TaskComparison} is base against tuned on one task, {@link
 * dev.lorakit.eval.report.Baseline} the commonest answer given for every case, and {@link
 * dev.lorakit.eval.report.ClinicianReview} with {@link dev.lorakit.eval.report.ReviewSummary} the
 * blinded review sheet and its tally. Readers never see a half-written folder.
 */
package dev.lorakit.eval.report;
