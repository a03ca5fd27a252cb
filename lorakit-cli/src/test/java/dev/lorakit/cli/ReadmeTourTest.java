package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.Backends;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java tour, compiled and run here so that it cannot rot; the README must show this code. */
class ReadmeTourTest {

  static String tour(Path modelDir, Path adapterDir) throws IOException {
    // README-TOUR-BEGIN
    try (Backend backend = Backends.select("auto", System.err::println);
        ModelFolder folder = ModelFolder.open(modelDir);
        Tokenizer tokenizer = folder.openTokenizer()) {
      DecoderConfig shape = folder.decoderConfig();
      Decoder decoder = new Decoder(shape, folder.decoderWeights(backend), backend);
      LoraConfig config = LoraConfig.of(16, 32, 0.0, new TargetModules.AllLinear());
      try (LoraWeights lora = LoraWeights.init(LoraSpec.of(config, shape), backend, 42);
          AdamW adamw = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
        decoder.setLora(lora);
        int[] prompt = tokenizer.encode("Prostate cancer, Gleason 4+3.\nModality:");
        int[] answer = tokenizer.encodeNoBos("photon");
        List<Example> data = List.of(Example.promptCompletion(prompt, answer));
        var settings = new Trainer.Settings(1, 1, 30, LrSchedule.cosine(1e-2, 3, 30), 1.0, 0, null, 42, 0);
        new Trainer(decoder, lora, adamw, settings, data).train(m -> System.out.println(m.step() + " " + m.loss()));
        lora.save(adapterDir);
        decoder.setTraining(false);
        int[] out = new Generator(decoder).generate(prompt, 4, tokenizer.specialTokens().eos(),
            Sampler.Settings.greedy());
        return tokenizer.decode(java.util.Arrays.copyOfRange(out, prompt.length, out.length));
      }
    }
    // README-TOUR-END
  }

  @Test
  void theTourTrainsSavesAndGenerates(@TempDir Path dir) throws IOException {
    Path model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 5, SafeTensorsDtype.F32);
    String answer = tour(model, dir.resolve("adapter"));
    assertTrue(answer.strip().startsWith("photon"), "after 30 steps on one example it answers it: " + answer);
    assertTrue(Files.exists(dir.resolve("adapter/adapter_model.safetensors")));
  }

  @Test
  void theReadmeShowsThisCode() throws IOException {
    Path root = Path.of(System.getProperty("lorakit.project.root", ".."));
    String readme = Files.readString(root.resolve("README.md"));
    List<String> src = Files.readAllLines(root.resolve("lorakit-cli/src/test/java/dev/lorakit/cli/ReadmeTourTest.java"));
    int begin = src.indexOf("    // README-TOUR-BEGIN");
    int end = src.indexOf("    // README-TOUR-END");
    List<String> body = new ArrayList<>();
    for (String line : src.subList(begin + 1, end)) body.add(line.substring(Math.min(4, line.length())));
    String code = String.join("\n", body);
    assertTrue(readme.contains("```java\n" + code + "\n```"), "README.md must show the tour exactly as tested:\n" + code);
    assertEquals(-1, code.indexOf('\t'));
  }
}
