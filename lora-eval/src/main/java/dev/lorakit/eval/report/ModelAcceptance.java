package dev.lorakit.eval.report;

import dev.lorakit.eval.stats.ConfidenceInterval;

/**
 * How one model's regimens fared in clinician review.
 *
 * @param acceptable rows marked yes
 * @param reviewed rows marked yes or no
 * @param pending rows left blank
 * @param share acceptable / reviewed with its 95% Wilson interval; null when nothing was reviewed
 */
public record ModelAcceptance(
    String model, int acceptable, int reviewed, int pending, ConfidenceInterval share) {}
