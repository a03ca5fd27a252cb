package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The loss curve of a short LoRA training run of the demo's tiny model (TinyModel's default shape,
 * float32 weights) on a backend: the same data, adapter initialisation and settings whatever the
 * backend, so curves compare.
 */
final class TrainingCurve {

  /** Enough steps for the loss of this data to fall by a tenth whatever the backend. */
  static final int STEPS = 20;

  private TrainingCurve() {}

  /** Writes the demo model's base folder (float32 weights) into {@code dir}. */
  static Path model(Path dir) throws IOException {
    TinyModel.demoDefault().write(dir, 7, SafeTensorsDtype.F32);
    return dir;
  }

  /**
   * The mean loss of each of {@code steps} optimizer steps (a cosine schedule over them) on {@code
   * backend} in {@code precision}.
   */
  static double[] losses(Path model, Backend backend, Precision precision, int steps)
      throws IOException {
    Random rnd = new Random(3);
    List<Example> data = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      int[] prompt = new int[8 + rnd.nextInt(8)];
      int[] completion = new int[4 + rnd.nextInt(8)];
      // A small sub-vocabulary, so that 20 steps visibly lower the loss.
      for (int j = 0; j < prompt.length; j++) prompt[j] = 100 + rnd.nextInt(200);
      for (int j = 0; j < completion.length; j++) completion[j] = 100 + rnd.nextInt(20);
      data.add(Example.promptCompletion(prompt, completion));
    }
    double[] losses = new double[steps];
    // The model folder without its tokenizer: the data are token ids, and the GPU bundle may leave
    // DJL out.
    try (ModelFolder folder = ModelFolder.open(model)) {
      DecoderWeights weights = folder.decoderWeights(backend, precision);
      LoraSpec spec =
          LoraSpec.of(
              LoraConfig.of(8, 16, 0, new TargetModules.AllLinear()), folder.decoderConfig());
      try (Decoder decoder = new Decoder(folder.decoderConfig(), weights, backend, precision);
          LoraWeights lora = LoraWeights.init(spec, backend, 11);
          AdamW opt =
              new AdamW(backend, lora.parameters(), new AdamW.Settings(0.9, 0.999, 1e-8, 0.0))) {
        decoder.setLora(lora);
        Trainer.Settings settings =
            new Trainer.Settings(
                4, 1, steps, LrSchedule.cosine(5e-3, 2, steps), 1.0, 0, null, 5, 0);
        new Trainer(decoder, lora, opt, settings, data).train(s -> losses[s.step() - 1] = s.loss());
        decoder.setLora(null);
      } finally {
        weights.close();
      }
    }
    return losses;
  }
}
