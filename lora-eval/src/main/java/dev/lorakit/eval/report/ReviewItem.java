package dev.lorakit.eval.report;

/**
 * One generated regimen to be judged by a clinician.
 *
 * @param caseId the case it answers
 * @param diagnosis the case's diagnosis, shown to the reviewer
 * @param reference the reference regimen
 * @param generated the model's regimen
 * @param model which model wrote it (hidden from the reviewer; kept in the key file)
 */
public record ReviewItem(
    String caseId, String diagnosis, String reference, String generated, String model) {}
