package dev.lorakit.bench;

import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One optimizer step of the library's own {@link Trainer} on one fixed batch (forward, loss,
 * backward, gradient norm, AdamW at a constant lr 1e-4, no clipping): the step users' training
 * runs, so the benchmarks time that code and not a copy of it.
 */
final class LibraryStep {

  private final Decoder decoder;
  private final LoraWeights lora;
  private final AdamW optimizer;
  private final List<Example> batch;
  private final long seed;

  /**
   * Steps of {@code lora} (set on {@code decoder} here) on {@code batch}, all of it in each step.
   */
  LibraryStep(Decoder decoder, LoraWeights lora, AdamW optimizer, List<Example> batch, long seed) {
    this.decoder = decoder;
    this.lora = lora;
    this.optimizer = optimizer;
    this.batch = List.copyOf(batch);
    this.seed = seed;
    decoder.setLora(lora);
  }

  /**
   * Sequences of random token ids below {@code vocab}, each its own labels (the loss shifts them).
   */
  static List<Example> randomBatch(Random rnd, int sequences, int length, int vocab) {
    List<Example> out = new ArrayList<>();
    for (int b = 0; b < sequences; b++) {
      int[] ids = new int[length];
      for (int i = 0; i < length; i++) {
        ids[i] = rnd.nextInt(vocab);
      }
      out.add(new Example(ids, ids));
    }
    return out;
  }

  /** One more optimizer step; returns its mean token loss. */
  double step() {
    Trainer.Settings settings =
        new Trainer.Settings(
            batch.size(),
            1,
            optimizer.stepCount() + 1,
            LrSchedule.constant(1e-4, 0),
            0,
            0,
            null,
            seed,
            0);
    double[] loss = {Double.NaN};
    try {
      new Trainer(decoder, lora, optimizer, settings, batch).train(m -> loss[0] = m.loss());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // no checkpoints are written
    }
    return loss[0];
  }
}
