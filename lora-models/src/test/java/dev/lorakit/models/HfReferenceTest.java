package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.Errors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against float64 Hugging Face runs, through the public API a user has: the model folder
 * opened with {@link ModelFolder}, the PEFT adapter read with {@link LoraWeights#read}, the AdamW
 * settings of reference.json. Tolerances as in the fixtures' README.
 */
class HfReferenceTest {

  private static final CpuBackend BE = new CpuBackend(2);

  @AfterAll
  static void close() {
    BE.close();
  }

  private static void close(
      String fixture, String what, float[] actual, float[] expected, double tol) {
    double err = Errors.relativeL2(actual, expected);
    System.out.printf("%s %s rel L2 %.3e%n", fixture, what, err);
    assertTrue(err <= tol, fixture + " " + what + ": relative L2 error " + err + " > " + tol);
  }

  private static void closeAbs(
      String fixture, String what, double actual, double expected, double tol) {
    System.out.printf(
        "%s %s abs %.3e (%.8f vs %.8f)%n",
        fixture, what, Math.abs(actual - expected), actual, expected);
    assertEquals(expected, actual, tol, fixture + " " + what);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void baseModelMatchesLogitsHiddenStatesLossAndGreedyTokens(String name) throws IOException {
    Path dir = Fixtures.resource("hf/" + name);
    JsonNode run = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"));
        TensorSource ref = SafeTensorsFile.open(dir.resolve("reference.safetensors"))) {
      DecoderConfig c = folder.decoderConfig();
      DecoderWeights weights = folder.decoderWeights(BE);
      try (Decoder d = new Decoder(c, weights, BE)) {
        int batch = run.get("batch").asInt();
        int[] ids = ref.ints("input_ids");
        int[] labels = ref.ints("labels");
        Activations a = d.forward(ids, batch);
        for (int i = 0; i <= c.layers(); i++) {
          close(
              name,
              "base_hidden." + i,
              BE.download(a.hidden(i)),
              ref.floats("base_hidden." + i),
              1e-5);
        }
        close(name, "base_logits", BE.download(a.logits()), ref.floats("base_logits"), 1e-5);
        closeAbs(
            name,
            "base_loss",
            CausalLmLoss.loss(d, ids, labels, batch),
            ref.floats("base_loss")[0],
            1e-5);

        int[] expected = ref.ints("greedy_tokens");
        int promptLength = run.get("greedy").get("prompt_len").asInt();
        int[] prompt = Arrays.copyOf(ids, promptLength);
        int[] got =
            new Generator(d)
                .generate(prompt, expected.length - promptLength, -1, Sampler.Settings.greedy());
        System.out.println(
            name + " greedy " + Arrays.toString(got) + " expected " + Arrays.toString(expected));
        assertArrayEquals(expected, got, name + " greedy tokens");
      } finally {
        weights.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void loraMatchesLogitsLossGradientsAndTwoAdamWSteps(String name) throws IOException {
    Path dir = Fixtures.resource("hf/" + name);
    JsonNode run = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    JsonNode adamw = run.get("adamw");
    AdamW.Settings settings =
        new AdamW.Settings(
            adamw.get("beta1").asDouble(),
            adamw.get("beta2").asDouble(),
            adamw.get("eps").asDouble(),
            adamw.get("weight_decay").asDouble());
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"));
        TensorSource ref = SafeTensorsFile.open(dir.resolve("reference.safetensors"))) {
      DecoderConfig c = folder.decoderConfig();
      DecoderWeights weights = folder.decoderWeights(BE);
      try (Decoder d = new Decoder(c, weights, BE);
          LoraWeights lora = LoraWeights.read(dir.resolve("adapter_init"), c, BE);
          AdamW opt = new AdamW(BE, lora.parameters(), settings)) {
        int batch = run.get("batch").asInt();
        int[] ids = ref.ints("input_ids");
        int[] labels = ref.ints("labels");
        d.setLora(lora);
        d.setTraining(true);
        close(
            name,
            "lora_logits",
            BE.download(d.forward(ids, batch).logits()),
            ref.floats("lora_logits"),
            1e-5);
        int steps = adamw.get("steps").asInt();
        for (int step = 0; step < steps; step++) {
          lora.zeroGrad();
          double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
          closeAbs(
              name, "lora_loss.step" + step, loss, ref.floats("lora_loss.step" + step)[0], 1e-5);
          if (step == 0) {
            double worst = 0;
            for (Parameter p : lora.parameters()) {
              double err = Errors.relativeL2(BE.download(p.grad()), ref.floats("grad." + p.name()));
              worst = Math.max(worst, err);
              assertTrue(err <= 1e-4, name + " grad." + p.name() + ": relative L2 error " + err);
            }
            System.out.printf(
                "%s grad.* (%d tensors) worst rel L2 %.3e%n",
                name, lora.parameters().size(), worst);
          }
          opt.step(adamw.get("lr").asDouble());
        }
        double worst = 0;
        for (Parameter p : lora.parameters()) {
          double err =
              Errors.relativeL2(
                  BE.download(p.value()), ref.floats("after" + steps + "." + p.name()));
          worst = Math.max(worst, err);
          assertTrue(
              err <= 1e-4, name + " after" + steps + "." + p.name() + ": relative L2 error " + err);
        }
        System.out.printf("%s after%d.* worst rel L2 %.3e%n", name, steps, worst);
      } finally {
        weights.close();
      }
    }
  }
}
