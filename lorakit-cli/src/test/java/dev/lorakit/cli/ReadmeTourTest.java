package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Device;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.models.LoraModel;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java tour, compiled and run here so that it cannot rot; the README must show this
 * code.
 */
class ReadmeTourTest {

  static String tour(Path modelDir, Path adapterDir) throws IOException {
    // README-TOUR-BEGIN
    try (LoraModel model = LoraModel.open(modelDir, Device.AUTO)) {
      model.withAdapter(LoraConfig.builder().r(16).loraAlpha(32).build());
      String prompt = "Prostate cancer, Gleason 4+3.\nModality:";
      var data = List.of(model.example(prompt, "photon"));
      var settings =
          Trainer.Settings.builder().batchSize(1).gradAccum(1).steps(30).lr(1e-2).warmup(3).build();
      System.out.println("final loss " + model.train(data, settings).lastLoss());
      model.saveAdapter(adapterDir);
      return model.generate(prompt, LoraModel.Generation.greedy(4));
    }
    // README-TOUR-END
  }

  @Test
  void theTourTrainsSavesAndGenerates(@TempDir Path dir) throws IOException {
    Path model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 5, SafeTensorsDtype.F32);
    String answer = tour(model, dir.resolve("adapter"));
    assertTrue(
        answer.strip().startsWith("photon"),
        "after 30 steps on one example it answers it: " + answer);
    assertTrue(Files.exists(dir.resolve("adapter/adapter_model.safetensors")));
  }

  @Test
  void theReadmeShowsThisCodeAndItsImports() throws IOException {
    Path root = Path.of(System.getProperty("lorakit.project.root", ".."));
    String readme = Files.readString(root.resolve("README.md"));
    List<String> src =
        Files.readAllLines(
            root.resolve("lorakit-cli/src/test/java/dev/lorakit/cli/ReadmeTourTest.java"));
    int begin = src.indexOf("    // README-TOUR-BEGIN");
    int end = src.indexOf("    // README-TOUR-END");
    List<String> body = new ArrayList<>();
    for (String line : src.subList(begin + 1, end))
      body.add(line.substring(Math.min(4, line.length())));
    String code = String.join("\n", body);
    assertTrue(
        readme.contains("```java\n" + code + "\n```"),
        "README.md must show the tour exactly as tested:\n" + code);
    assertEquals(-1, code.indexOf('\t'));
    List<String> imports =
        readme
            .lines()
            .filter(l -> l.startsWith("import dev.lorakit.") || l.startsWith("import java."))
            .toList();
    assertEquals(
        List.of(
            "import dev.lorakit.core.backend.Device;",
            "import dev.lorakit.core.lora.LoraConfig;",
            "import dev.lorakit.core.train.Trainer;",
            "import dev.lorakit.models.LoraModel;",
            "import java.util.List;"),
        imports,
        "the README names the tour's imports");
    for (String i : imports) assertTrue(src.contains(i), "the tour compiles with " + i);
  }
}
