package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole decoder (forward, loss, LoRA gradients) on the GPU against the CPU backend and the Hugging Face
 * reference, on the tiny models in lora-core's test resources (read in place through the reactor root).
 * Needs a GPU; skipped visibly without.
 */
class CudaDecoderTest {

    static Path fixture(String name) {
        Path root = Path.of(System.getProperty("lorakit.project.root", ".."));
        Path dir = root.resolve("lora-core/src/test/resources/hf").resolve(name);
        if (!Files.isDirectory(dir)) {
            String reason = "Skipping the GPU decoder test: " + dir + " is missing.";
            System.err.println(reason);
            Assumptions.assumeTrue(false, reason);
        }
        return dir;
    }

    static DecoderConfig config(Path dir) throws IOException {
        JsonNode c = new ObjectMapper().readTree(dir.resolve("base/config.json").toFile());
        JsonNode rope = c.path("rope_parameters");
        double theta = rope.has("rope_theta") ? rope.get("rope_theta").asDouble() : c.path("rope_theta").asDouble(10000);
        int heads = c.get("num_attention_heads").asInt();
        int hidden = c.get("hidden_size").asInt();
        return new DecoderConfig(c.get("vocab_size").asInt(), hidden, c.get("intermediate_size").asInt(),
                c.get("num_hidden_layers").asInt(), heads, c.get("num_key_value_heads").asInt(),
                c.has("head_dim") ? c.get("head_dim").asInt() : hidden / heads, theta, c.get("rms_norm_eps").asDouble(),
                c.path("sliding_window").isNumber() ? c.get("sliding_window").asInt() : 0,
                c.path("tie_word_embeddings").asBoolean(false));
    }

    static LoraSpec lora(Path dir) throws IOException {
        JsonNode a = new ObjectMapper().readTree(dir.resolve("adapter_init/adapter_config.json").toFile());
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        a.get("target_modules").forEach(t -> targets.add(LoraTarget.fromModuleName(t.asText())));
        return new LoraSpec(a.get("r").asInt(), a.get("lora_alpha").asDouble(), a.get("lora_dropout").asDouble(),
                a.path("use_rslora").asBoolean(false), targets);
    }

    static int[] ints(TensorSource src, String name) throws IOException {
        long[] l = src.longs(name);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    static double relL2(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "element count");
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = (double) actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    /** Logits, loss and every LoRA gradient of one forward/backward on {@code be}. */
    record Run(float[] logits, double loss, float[][] grads) {
    }

    static Run run(Backend be, Path dir, DecoderConfig config, LoraSpec spec, int[] ids, int[] labels, int batch)
            throws IOException {
        DecoderWeights w;
        try (TensorSource src = SafeTensorsFile.open(dir.resolve("base/model.safetensors"))) {
            w = DecoderWeights.load(config, be, src);
        }
        LoraWeights lw;
        try (TensorSource src = SafeTensorsFile.open(dir.resolve("adapter_init/adapter_model.safetensors"))) {
            lw = LoraWeights.load(config, spec, be, src);
        }
        try (Decoder d = new Decoder(config, w, be); lw) {
            // The pass buffers belong to the decoder, which frees them on close.
            Activations a = d.forward(ids, batch);
            float[] logits = be.download(a.logits());
            d.setLora(lw);
            lw.zeroGrad();
            double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
            float[][] grads = new float[lw.pairs().size() * 2][];
            int i = 0;
            for (LoraWeights.Pair p : lw.pairs()) {
                grads[i++] = be.download(p.gradA());
                grads[i++] = be.download(p.gradB());
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
        LoraSpec spec = lora(dir);
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        int batch = ref.get("batch").asInt();
        try (TensorSource reference = SafeTensorsFile.open(dir.resolve("reference.safetensors"));
                CpuBackend cpu = new CpuBackend(2); CudaBackend gpu = new CudaBackend()) {
            int[] ids = ints(reference, "input_ids");
            int[] labels = ints(reference, "labels");
            Run c = run(cpu, dir, config, spec, ids, labels, batch);
            Run g = run(gpu, dir, config, spec, ids, labels, batch);
            double logitsErr = relL2(g.logits(), c.logits());
            double hfErr = relL2(g.logits(), reference.floats("base_logits"));
            System.out.printf("%s logits rel L2 vs CPU %.3e, vs HF %.3e; loss %.8f (CPU %.8f)%n", name, logitsErr, hfErr,
                    g.loss(), c.loss());
            assertTrue(logitsErr <= 1e-5, name + " logits vs CPU: " + logitsErr);
            assertTrue(hfErr <= 1e-5, name + " logits vs Hugging Face: " + hfErr);
            assertEquals(c.loss(), g.loss(), 1e-5 * Math.max(1, Math.abs(c.loss())), name + " loss");
            for (int i = 0; i < c.grads().length; i++) {
                double err = relL2(g.grads()[i], c.grads()[i]);
                assertTrue(err <= 1e-4, name + " LoRA gradient " + i + " vs CPU: " + err);
            }
        }
    }
}
