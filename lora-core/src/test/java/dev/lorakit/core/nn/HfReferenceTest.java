package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.Parameter;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The decoder, LoRA, the loss, its gradients, AdamW and greedy generation against float64 Hugging Face runs. */
class HfReferenceTest {

    private static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
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
        return Math.sqrt(num / den);
    }

    private static void close(String fixture, String what, float[] actual, float[] expected, double tol) {
        double err = relL2(actual, expected);
        System.out.printf("%s %s rel L2 %.3e%n", fixture, what, err);
        assertTrue(err <= tol, fixture + " " + what + ": relative L2 error " + err + " > " + tol);
    }

    private static void closeAbs(String fixture, String what, double actual, double expected, double tol) {
        System.out.printf("%s %s abs %.3e (%.8f vs %.8f)%n", fixture, what, Math.abs(actual - expected), actual, expected);
        assertEquals(expected, actual, tol, fixture + " " + what);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
    void baseModelMatchesLogitsHiddenStatesLossAndGreedyTokens(String name) throws IOException {
        HfFixture f = HfFixture.load(name);
        try (TensorSource ref = f.reference(); Decoder d = new Decoder(f.config(), f.weights(BE), BE)) {
            int[] ids = HfFixture.ints(ref, "input_ids");
            int[] labels = HfFixture.ints(ref, "labels");
            Activations a = d.forward(ids, f.batch());
            for (int i = 0; i <= f.config().layers(); i++) {
                close(name, "base_hidden." + i, BE.download(a.hidden(i)), ref.floats("base_hidden." + i), 1e-5);
            }
            close(name, "base_logits", BE.download(a.logits()), ref.floats("base_logits"), 1e-5);
            closeAbs(name, "base_loss", CausalLmLoss.loss(d, ids, labels, f.batch()), ref.floats("base_loss")[0], 1e-5);

            int[] expected = HfFixture.ints(ref, "greedy_tokens");
            int[] prompt = Arrays.copyOf(ids, 6);
            int[] got = new Generator(d).generate(prompt, expected.length - prompt.length, -1, Sampler.Settings.greedy());
            System.out.println(name + " greedy " + Arrays.toString(got) + " expected " + Arrays.toString(expected));
            assertArrayEquals(expected, got, name + " greedy tokens");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
    void loraMatchesLogitsLossGradientsAndTwoAdamWSteps(String name) throws IOException {
        HfFixture f = HfFixture.load(name);
        try (TensorSource ref = f.reference(); Decoder d = new Decoder(f.config(), f.weights(BE), BE);
                LoraWeights lora = f.adapter(BE)) {
            int[] ids = HfFixture.ints(ref, "input_ids");
            int[] labels = HfFixture.ints(ref, "labels");
            d.setLora(lora);
            d.setTraining(true);
            close(name, "lora_logits", BE.download(d.forward(ids, f.batch()).logits()), ref.floats("lora_logits"), 1e-5);
            try (AdamW opt = new AdamW(BE, lora.parameters(), new AdamW.Settings(0.9, 0.999, 1e-8, 0.01))) {
                for (int step = 0; step < 2; step++) {
                    lora.zeroGrad();
                    double loss = CausalLmLoss.forwardBackward(d, ids, labels, f.batch());
                    closeAbs(name, "lora_loss.step" + step, loss, ref.floats("lora_loss.step" + step)[0], 1e-5);
                    if (step == 0) {
                        double worst = 0;
                        for (Parameter p : lora.parameters()) {
                            double err = relL2(BE.download(p.grad()), ref.floats("grad." + p.name()));
                            worst = Math.max(worst, err);
                            assertTrue(err <= 1e-4, name + " grad." + p.name() + ": relative L2 error " + err);
                        }
                        System.out.printf("%s grad.* (%d tensors) worst rel L2 %.3e%n", name, lora.parameters().size(), worst);
                    }
                    opt.step(1e-2);
                }
            }
            double worst = 0;
            for (Parameter p : lora.parameters()) {
                double err = relL2(BE.download(p.value()), ref.floats("after2." + p.name()));
                worst = Math.max(worst, err);
                assertTrue(err <= 1e-4, name + " after2." + p.name() + ": relative L2 error " + err);
            }
            System.out.printf("%s after2.* worst rel L2 %.3e%n", name, worst);
        }
    }
}
