package dev.lorakit.bench;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.tensor.DType;
import java.util.Random;

/**
 * A small random LLaMA-style model with LoRA on every linear layer, and one optimizer step of it
 * through the library's own trainer: what the training benchmarks time. The weights are random
 * ({@link RandomWeights.Init#SCALED}); the arithmetic is that of a real model of this shape.
 */
public final class DemoModel implements AutoCloseable {

  /**
   * The shape of the benchmarked step.
   *
   * @param config the decoder
   * @param rank LoRA rank (alpha = 2 rank, no dropout, all seven projections)
   * @param batch sequences per step
   * @param seq tokens per sequence
   */
  public record Setup(DecoderConfig config, int rank, int batch, int seq) {

    /**
     * hidden 256, intermediate 768, 4 layers, 8 heads, vocab 32000; LoRA r 8; 8 sequences of 256
     * tokens.
     */
    public static Setup demo() {
      return of(256, 768, 4, 8, 32000, 8, 8, 256);
    }

    public static Setup of(
        int hidden,
        int intermediate,
        int layers,
        int heads,
        int vocab,
        int rank,
        int batch,
        int seq) {
      DecoderConfig c =
          new DecoderConfig(
              vocab,
              hidden,
              intermediate,
              layers,
              heads,
              heads,
              hidden / heads,
              10000,
              1e-5,
              0,
              false,
              4096);
      return new Setup(c, rank, batch, seq);
    }

    public int tokens() {
      return batch * seq;
    }

    public LoraSpec lora() {
      return LoraSpec.of(
          LoraConfig.of(rank, 2.0 * rank, 0.0, new TargetModules.AllLinear()), config);
    }
  }

  private final Setup setup;
  private final Decoder decoder;
  private final LoraWeights lora;
  private final AdamW adamW;
  private final LibraryStep step;

  public DemoModel(Setup setup, Backend backend, long seed) {
    this.setup = setup;
    DecoderConfig c = setup.config();
    Random rnd = new Random(seed);
    decoder =
        new Decoder(
            c,
            new RandomWeights(seed, RandomWeights.Init.SCALED)
                .decoderWeights(c, backend, DType.F32),
            backend);
    lora = LoraWeights.init(setup.lora(), backend, seed);
    adamW = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults());
    step =
        new LibraryStep(
            decoder,
            lora,
            adamW,
            LibraryStep.randomBatch(rnd, setup.batch(), setup.seq(), c.vocab()),
            seed);
  }

  public Setup setup() {
    return setup;
  }

  /**
   * One training step of the library's {@link dev.lorakit.core.train.Trainer}. Returns the mean
   * token loss.
   */
  public double step() {
    return step.step();
  }

  @Override
  public void close() {
    adamW.close();
    decoder.close();
    lora.close();
  }
}
