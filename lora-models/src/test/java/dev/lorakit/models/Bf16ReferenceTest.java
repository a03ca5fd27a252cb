package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.testkit.Bf16EmulatedBackend;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bf16 decoder (bf16 weights and activations, fp32 accumulation, fp32 LoRA and AdamW) against
 * the float64 Hugging Face references, on the CPU through a backend that emulates bf16 exactly as
 * the CUDA backend computes it, and the CPU's own bf16 (bf16 weights only) against the same bounds.
 * These are the bounds {@code lorakit verify-reference --precision bf16} holds the GPU to: logits
 * and losses within 2e-2; gradients and the weights after two AdamW steps within 1e-1, since bf16
 * rounding of the activations and of the backward's inputs moves gradients by 2-6% (more with
 * longer rows) and AdamW's first steps are nearly sign steps of size lr. A dtype mix-up or a wrong
 * kernel moves them by O(1).
 */
class Bf16ReferenceTest {

  private static void within(String fixture, String what, double err, double tol) {
    System.out.printf("%s %s %.3e (tolerance %.0e)%n", fixture, what, err, tol);
    assertTrue(err <= tol, fixture + " " + what + ": " + err + " > " + tol);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void bf16DecoderIsWithinBf16TolerancesOfTheReference(String name) throws IOException {
    try (CpuBackend cpu = new CpuBackend(2);
        Bf16EmulatedBackend backend = new Bf16EmulatedBackend(cpu)) {
      check(name, backend, "bf16");
    }
  }

  /** The CPU's own bf16 (bf16 frozen weights, float32 activations) is held to the same bounds. */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa", "tiny-mistral-window", "tiny-llama-tied"})
  void theCpusBf16IsWithinBf16TolerancesOfTheReference(String name) throws IOException {
    try (CpuBackend cpu = new CpuBackend(2)) {
      check(name, cpu, "cpu bf16");
    }
  }

  private static void check(String name, Backend backend, String label) throws IOException {
    Path dir = Fixtures.resource("hf/" + name);
    String tag = name + " " + label;
    JsonNode run = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    JsonNode adamw = run.get("adamw");
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"));
        TensorSource ref = SafeTensorsFile.open(dir.resolve("reference.safetensors"))) {
      DecoderConfig c = folder.decoderConfig();
      DecoderWeights weights = folder.decoderWeights(backend, Precision.BF16);
      assertTrue(
          weights.embed().dtype() == DType.BF16
              && weights.layers().get(0).q().dtype() == DType.BF16
              && weights.norm().dtype() == DType.F32,
          "bf16 matrices, fp32 norms");
      int batch = run.get("batch").asInt();
      int[] ids = ref.ints("input_ids");
      int[] labels = ref.ints("labels");
      try (Decoder d = new Decoder(c, weights, backend, Precision.BF16);
          LoraWeights lora = LoraWeights.read(dir.resolve("adapter_init"), c, backend);
          AdamW opt =
              new AdamW(
                  backend,
                  lora.parameters(),
                  new AdamW.Settings(
                      adamw.get("beta1").asDouble(),
                      adamw.get("beta2").asDouble(),
                      adamw.get("eps").asDouble(),
                      adamw.get("weight_decay").asDouble()))) {
        within(
            tag,
            "base_logits rel L2",
            Errors.relativeL2(
                backend.download(d.forward(ids, batch).logits()), ref.floats("base_logits")),
            2e-2);
        double baseLoss = ref.floats("base_loss")[0];
        within(
            tag,
            "base_loss rel",
            Math.abs(CausalLmLoss.loss(d, ids, labels, batch) - baseLoss) / baseLoss,
            2e-2);
        d.setLora(lora);
        d.setTraining(true);
        int steps = adamw.get("steps").asInt();
        for (int step = 0; step < steps; step++) {
          lora.zeroGrad();
          double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
          double expected = ref.floats("lora_loss.step" + step)[0];
          within(tag, "lora_loss.step" + step + " rel", Math.abs(loss - expected) / expected, 2e-2);
          if (step == 0) {
            double worst = 0;
            for (Parameter p : lora.parameters()) {
              worst =
                  Math.max(
                      worst,
                      Errors.relativeL2(
                          backend.download(p.grad()), ref.floats("grad." + p.name())));
            }
            within(tag, "grad.* worst rel L2", worst, 1e-1);
          }
          opt.step(adamw.get("lr").asDouble());
        }
        double worst = 0;
        for (Parameter p : lora.parameters()) {
          worst =
              Math.max(
                  worst,
                  Errors.relativeL2(
                      backend.download(p.value()), ref.floats("after" + steps + "." + p.name())));
        }
        within(tag, "after" + steps + ".* worst rel L2", worst, 1e-1);
      } finally {
        weights.close();
      }
    }
  }
}
