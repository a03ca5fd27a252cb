package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.models.ModelFolder;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole decoder (forward, loss, LoRA gradients) on the GPU against the CPU backend and the
 * Hugging Face reference, on the testkit's reference folders. Needs a GPU; skipped visibly without.
 */
class CudaDecoderTest {

  static Path fixture(String name) {
    return Fixtures.hf(name);
  }

  static DecoderConfig config(Path dir) throws IOException {
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"))) {
      return folder.decoderConfig();
    }
  }

  /** Logits, loss and every LoRA gradient of one forward/backward on {@code backend}. */
  record Run(float[] logits, double loss, float[][] grads) {}

  static Run run(
      Backend backend, Path dir, DecoderConfig config, int[] ids, int[] labels, int batch)
      throws IOException {
    DecoderWeights w;
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"))) {
      w = folder.decoderWeights(backend);
    }
    LoraWeights lw = LoraWeights.read(dir.resolve("adapter_init"), config, backend);
    try (Decoder d = new Decoder(config, w, backend);
        lw) {
      // The pass buffers belong to the decoder, which frees them on close.
      Activations a = d.forward(ids, batch);
      float[] logits = backend.download(a.logits());
      d.setLora(lw);
      lw.zeroGrad();
      double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
      float[][] grads = new float[lw.pairs().size() * 2][];
      int i = 0;
      for (LoraWeights.Pair p : lw.pairs()) {
        grads[i++] = backend.download(p.gradA());
        grads[i++] = backend.download(p.gradB());
      }
      return new Run(logits, loss, grads);
    } finally {
      w.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
  void forwardLossAndLoraGradientsMatchTheCpuBackendAndHuggingFace(String name) throws IOException {
    Gpu.assumeAvailable("the GPU decoder test");
    Path dir = fixture(name);
    DecoderConfig config = config(dir);
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    int batch = ref.get("batch").asInt();
    try (TensorSource reference = SafeTensorsFile.open(dir.resolve("reference.safetensors"));
        CpuBackend cpu = new CpuBackend(2);
        CudaBackend gpu = new CudaBackend()) {
      int[] ids = reference.ints("input_ids");
      int[] labels = reference.ints("labels");
      Run c = run(cpu, dir, config, ids, labels, batch);
      Run g = run(gpu, dir, config, ids, labels, batch);
      double logitsErr = Errors.relativeL2(g.logits(), c.logits());
      double hfErr = Errors.relativeL2(g.logits(), reference.floats("base_logits"));
      System.out.printf(
          "%s logits rel L2 vs CPU %.3e, vs HF %.3e; loss %.8f (CPU %.8f)%n",
          name, logitsErr, hfErr, g.loss(), c.loss());
      assertTrue(logitsErr <= 1e-5, name + " logits vs CPU: " + logitsErr);
      assertTrue(hfErr <= 1e-5, name + " logits vs Hugging Face: " + hfErr);
      assertEquals(c.loss(), g.loss(), 1e-5 * Math.max(1, Math.abs(c.loss())), name + " loss");
      for (int i = 0; i < c.grads().length; i++) {
        double err = Errors.relativeL2(g.grads()[i], c.grads()[i]);
        assertTrue(err <= 1e-4, name + " LoRA gradient " + i + " vs CPU: " + err);
      }
    }
  }
}
