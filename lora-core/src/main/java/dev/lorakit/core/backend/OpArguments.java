package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.Tensor;

/** The argument checks that every {@link Backend} makes the same way, so each backend names a wrong argument alike. */
public final class OpArguments {

    private OpArguments() {
    }

    /** Every id is a row of a table of {@code vocab} rows. */
    public static void tokenIds(int[] ids, int vocab) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("Token id " + id + " is outside the vocabulary [0, " + vocab + ").");
            }
        }
    }

    /** One target per row of {@code logits}, each a column of it or {@link Backend#IGNORE_INDEX}. */
    public static void crossEntropy(Tensor logits, int[] targets, Tensor dLogits) {
        int vocab = logits.shape().dim(-1);
        if (targets.length != logits.shape().rows() || (dLogits != null && dLogits.size() != logits.size())) {
            throw new IllegalArgumentException("crossEntropy: " + targets.length + " targets for logits "
                    + logits.shape() + ".");
        }
        for (int t : targets) {
            if (t != Backend.IGNORE_INDEX && (t < 0 || t >= vocab)) {
                throw new IllegalArgumentException("Label " + t + " is outside the vocabulary [0, " + vocab + ").");
            }
        }
    }
}
