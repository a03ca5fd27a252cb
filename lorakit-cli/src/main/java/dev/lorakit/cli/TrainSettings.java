package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import java.util.List;

/**
 * What a training run was asked for, in the command line's vocabulary.
 *
 * @param loraR LoRA rank
 * @param loraAlpha LoRA alpha
 * @param loraDropout LoRA dropout
 * @param targetModules adapted projections (PEFT names), or {@code all-linear}
 * @param useRslora rank-stabilised scaling
 * @param lr peak learning rate
 * @param schedule constant, linear or cosine
 * @param warmup warmup steps
 * @param epochs passes over the data (used when maxSteps is 0)
 * @param maxSteps optimizer steps; 0: as many as the epochs need
 * @param batchSize sequences per micro-batch
 * @param gradAccum micro-batches per step
 * @param maxSeqLen longest example in tokens
 * @param seed seed of initialisation, data order and dropout
 * @param checkpointEvery steps between checkpoints (0: only when stopped)
 * @param keepCheckpoints the newest checkpoints kept
 * @param activationCheckpointing recompute activations in the backward
 * @param weightDecay AdamW's decoupled weight decay
 * @param maxGradNorm clipping threshold
 */
record TrainSettings(
    int loraR,
    double loraAlpha,
    double loraDropout,
    List<String> targetModules,
    boolean useRslora,
    double lr,
    String schedule,
    int warmup,
    double epochs,
    int maxSteps,
    int batchSize,
    int gradAccum,
    int maxSeqLen,
    long seed,
    int checkpointEvery,
    int keepCheckpoints,
    boolean activationCheckpointing,
    double weightDecay,
    double maxGradNorm,
    boolean skipNonFinite) {

  TrainSettings {
    targetModules = List.copyOf(targetModules);
    positive("--lora-r", loraR);
    positive("--batch-size", batchSize);
    positive("--grad-accum", gradAccum);
    positive("--max-seq-len", maxSeqLen);
    positive("--keep-checkpoints", keepCheckpoints);
    if (!(lr > 0))
      throw new LorakitInputException("--lr is " + lr + ", expected a positive learning rate.");
    if (!(epochs > 0) && maxSteps <= 0) {
      throw new LorakitInputException(
          "--epochs is " + epochs + ", expected a positive number (or set --max-steps).");
    }
    if (maxSteps < 0 || warmup < 0 || checkpointEvery < 0) {
      throw new LorakitInputException(
          "--max-steps, --warmup and --checkpoint-every must not be negative.");
    }
  }

  private static void positive(String option, int value) {
    if (value < 1)
      throw new LorakitInputException(option + " is " + value + ", expected at least 1.");
  }

  /** The optimizer steps for {@code examples} training examples. */
  int steps(int examples) {
    if (maxSteps > 0) return maxSteps;
    int perStep = batchSize * gradAccum;
    return Math.max(1, (int) Math.ceil(epochs * examples / perStep));
  }
}
