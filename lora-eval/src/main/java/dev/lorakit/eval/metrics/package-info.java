/**
 * Scores, each matching the Python implementation the literature uses: {@link
 * dev.lorakit.eval.metrics.Rouge1} (as Google's rouge-score, with NLTK's Porter stemmer), {@link
 * dev.lorakit.eval.metrics.Accuracy}, {@link dev.lorakit.eval.metrics.PrecisionRecallF1} (as
 * scikit-learn) and confusion matrices. {@link dev.lorakit.eval.metrics.TaskScorer} is the entry
 * point: it scores one task's predictions against their references; {@link
 * dev.lorakit.eval.metrics.AnswerFile} reads answer files.
 */
package dev.lorakit.eval.metrics;
