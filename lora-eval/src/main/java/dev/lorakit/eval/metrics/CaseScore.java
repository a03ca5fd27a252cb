package dev.lorakit.eval.metrics;

/**
 * How one case scored.
 *
 * @param reference the reference answer as given
 * @param prediction the prediction as given (may be null)
 * @param expected the reference's canonical label
 * @param predicted the prediction's canonical label, or null when it could not be parsed
 * @param correct whether {@code predicted} equals {@code expected}
 * @param rouge1 ROUGE-1 of the prediction text against the reference text
 */
public record CaseScore(
    String id,
    String reference,
    String prediction,
    String expected,
    String predicted,
    boolean correct,
    RougeScore rouge1) {}
