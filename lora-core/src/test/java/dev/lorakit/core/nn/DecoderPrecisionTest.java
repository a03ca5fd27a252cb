package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.Bf16EmulatedBackend;
import dev.lorakit.testkit.RandomModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder's precision choice: the CPU's bf16 is the float32 model of the bf16 weights; on a
 * backend that emulates a GPU's bf16 (activations too) the same model code runs the bf16 path
 * (every op sees the dtypes the Backend contract allows) and stays within bf16 tolerances of the
 * float32 decoder.
 */
class DecoderPrecisionTest {

  private static final CpuBackend CPU = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();
  private static final int BATCH = 2;
  private static final int SEQ = 9;

  @AfterAll
  static void close() {
    CPU.close();
  }

  /**
   * The matrices of {@code w} rounded to bf16 on {@code backend}; the norm weights stay float32
   * (they are shared).
   */
  static DecoderWeights toBf16(DecoderWeights w, Backend backend) {
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(
          new LayerWeights(
              l.attnNorm(),
              bf16(l.q(), backend),
              bf16(l.k(), backend),
              bf16(l.v(), backend),
              bf16(l.o(), backend),
              l.mlpNorm(),
              bf16(l.gate(), backend),
              bf16(l.up(), backend),
              bf16(l.down(), backend)));
    }
    Tensor embed = bf16(w.embed(), backend);
    return new DecoderWeights(
        embed, layers, w.norm(), w.lmHead() == w.embed() ? embed : bf16(w.lmHead(), backend));
  }

  private static Tensor bf16(Tensor t, Backend backend) {
    Tensor out = backend.zeros(DType.BF16, t.shape());
    backend.copy(t, out);
    return out;
  }

  private static int[] labels(Random rnd) {
    int[] l = RandomModel.tokens(rnd, BATCH * SEQ, C.vocab());
    for (int i = 0; i < l.length; i += 3) {
      l[i] = Backend.IGNORE_INDEX;
    }
    return l;
  }

  private static List<float[]> grads(Backend backend, LoraWeights lora) {
    List<float[]> out = new ArrayList<>();
    for (Parameter p : lora.parameters()) {
      out.add(backend.download(p.grad()));
    }
    return out;
  }

  /** The matrices of {@code w} widened back to float32 on the CPU (the norms are shared). */
  private static DecoderWeights widened(DecoderWeights w) {
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(
          new LayerWeights(
              l.attnNorm(),
              f32(l.q()),
              f32(l.k()),
              f32(l.v()),
              f32(l.o()),
              l.mlpNorm(),
              f32(l.gate()),
              f32(l.up()),
              f32(l.down())));
    }
    Tensor embed = f32(w.embed());
    return new DecoderWeights(
        embed, layers, w.norm(), w.lmHead() == w.embed() ? embed : f32(w.lmHead()));
  }

  private static Tensor f32(Tensor t) {
    Tensor out = CPU.zeros(DType.F32, t.shape());
    CPU.copy(t, out);
    return out;
  }

  @Test
  void theCpuInBf16ComputesTheFloat32ModelOfTheBf16WeightsExactly() {
    // bf16 on the CPU: bf16 frozen weights widened inside the products, float32 everything else.
    // Widening is
    // exact, so the logits, loss, LoRA gradients and cached decoding are those of the float32
    // decoder over the
    // widened weights, bit for bit.
    Random rnd = new Random(13);
    int[] ids = RandomModel.tokens(rnd, BATCH * SEQ, C.vocab());
    int[] labels = labels(rnd);
    var spec = RandomModel.spec(C, 3, 6, 0, false, RandomModel.ALL);
    DecoderWeights w32 = RandomModel.weights(C, CPU, 8);
    DecoderWeights w16 = toBf16(w32, CPU);
    DecoderWeights wide = widened(w16);
    try (LoraWeights loraA = RandomModel.lora(spec, CPU, 5);
        LoraWeights loraB = RandomModel.lora(spec, CPU, 5);
        Decoder bf16 = new Decoder(C, w16, CPU, Precision.BF16);
        Decoder fp32 = new Decoder(C, wide, CPU)) {
      assertEquals(DType.F32, bf16.activations());
      assertEquals(DType.BF16, w16.layers().get(0).q().dtype());
      assertArrayEquals(
          CPU.download(fp32.forward(ids, BATCH).logits()),
          CPU.download(bf16.forward(ids, BATCH).logits()));
      bf16.setLora(loraA);
      fp32.setLora(loraB);
      bf16.setTraining(true);
      fp32.setTraining(true);
      assertEquals(
          CausalLmLoss.forwardBackward(fp32, ids, labels, BATCH),
          CausalLmLoss.forwardBackward(bf16, ids, labels, BATCH));
      List<float[]> gA = grads(CPU, loraA);
      List<float[]> gB = grads(CPU, loraB);
      for (int i = 0; i < gA.size(); i++) {
        assertArrayEquals(gB.get(i), gA.get(i), loraA.parameters().get(i).name());
      }
      bf16.setTraining(false);
      fp32.setTraining(false);
      int[] prompt = {1, 2, 3};
      assertArrayEquals(
          new Generator(fp32).generate(prompt, 5, -1, Sampler.Settings.greedy()),
          new Generator(bf16).generate(prompt, 5, -1, Sampler.Settings.greedy()));
    }
    w32.close();
    w16.close();
    wide.close();
  }

  @Test
  void precisionNamesParseAndOthersAreRefused() {
    assertEquals(Precision.BF16, Precision.parse("BF16"));
    assertEquals(Precision.FP32, Precision.parse("fp32"));
    assertEquals(DType.BF16, Precision.BF16.weights());
    assertEquals(DType.F32, Precision.FP32.activations());
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> Precision.parse("fp16"));
    assertEquals("The precision must be fp32 or bf16, not fp16.", e.getMessage());
  }

  @Test
  void bf16TrainingStepStaysWithinBf16ToleranceOfFp32() {
    Random rnd = new Random(7);
    int[] ids = RandomModel.tokens(rnd, BATCH * SEQ, C.vocab());
    int[] labels = labels(rnd);
    var spec = RandomModel.spec(C, 3, 6, 0, false, RandomModel.ALL);
    DecoderWeights w32 = RandomModel.weights(C, CPU, 3);
    try (Bf16EmulatedBackend emu = new Bf16EmulatedBackend(CPU);
        LoraWeights lora32 = RandomModel.lora(spec, CPU, 5);
        LoraWeights lora16 = RandomModel.lora(spec, CPU, 5);
        Decoder fp32 = new Decoder(C, w32, CPU);
        Decoder bf16 = new Decoder(C, toBf16(w32, emu), emu, Precision.BF16)) {
      fp32.setLora(lora32);
      bf16.setLora(lora16);
      float[] logits32 = CPU.download(fp32.forward(ids, BATCH).logits());
      float[] logits16 = emu.download(bf16.forward(ids, BATCH).logits());
      double logitError = Errors.relativeL2(logits16, logits32);
      assertTrue(
          logitError < 2e-2 && logitError > 1e-5, "bf16 logits differ from fp32 by " + logitError);

      double loss32 = CausalLmLoss.forwardBackward(fp32, ids, labels, BATCH);
      double loss16 = CausalLmLoss.forwardBackward(bf16, ids, labels, BATCH);
      assertEquals(loss32, loss16, 2e-2 * Math.abs(loss32));
      List<float[]> g32 = grads(CPU, lora32);
      List<float[]> g16 = grads(emu, lora16);
      for (int i = 0; i < g32.size(); i++) {
        double e = Errors.relativeL2(g16.get(i), g32.get(i));
        // This random model is far hotter than a trained one (a 1% logit error moves the softmax),
        // so bf16
        // gradients differ by up to ~20% here; a dtype mix-up differs by O(1). The reference
        // fixtures hold
        // the bf16 decoder to tighter bounds (lora-models' Bf16ReferenceTest).
        assertTrue(e < 0.3, lora16.parameters().get(i).name() + " gradient differs by " + e);
      }
      for (Parameter p : lora16.parameters()) {
        assertEquals(DType.F32, p.value().dtype(), "LoRA master weights stay float32");
        assertEquals(DType.F32, p.grad().dtype());
      }
      assertEquals(
          Set.of(
              "attention",
              "attentionBackward",
              "embedding",
              "matmul",
              "rmsNorm",
              "rope",
              "swiglu",
              "swigluBackward"),
          emu.bf16Ops);
    }
    w32.close();
  }

  @Test
  void bf16CheckpointingGivesTheSameGradientsAndTheCacheTheSameLogits() {
    Random rnd = new Random(11);
    int[] ids = RandomModel.tokens(rnd, BATCH * SEQ, C.vocab());
    int[] labels = labels(rnd);
    var spec = RandomModel.spec(C, 2, 4, 0.1, false, "q_proj", "v_proj", "down_proj");
    DecoderWeights w32 = RandomModel.weights(C, CPU, 4);
    try (Bf16EmulatedBackend emu = new Bf16EmulatedBackend(CPU);
        LoraWeights lora = RandomModel.lora(spec, emu, 6);
        Decoder d = new Decoder(C, toBf16(w32, emu), emu, Precision.BF16)) {
      d.setLora(lora);
      d.setTraining(true);
      d.setDropoutSeed(3);
      lora.zeroGrad();
      double stored = CausalLmLoss.forwardBackward(d, ids, labels, BATCH);
      List<float[]> g1 = grads(emu, lora);
      d.setCheckpointing(true);
      lora.zeroGrad();
      double recomputed = CausalLmLoss.forwardBackward(d, ids, labels, BATCH);
      assertEquals(stored, recomputed);
      List<float[]> g2 = grads(emu, lora);
      for (int i = 0; i < g1.size(); i++) {
        assertArrayEquals(g1.get(i), g2.get(i), "gradient " + i);
      }
      assertTrue(
          emu.bf16Ops.contains("dropout"), "LoRA dropout ran on bf16 activations: " + emu.bf16Ops);

      d.setTraining(false);
      d.setCheckpointing(false);
      int[] one = Arrays.copyOf(ids, SEQ);
      float[] full = emu.download(d.forward(one, 1).logits());
      try (KvCache cache = new KvCache(C, emu, 1, SEQ, d.precision().activations())) {
        d.forwardCached(Arrays.copyOf(one, SEQ - 1), 1, cache);
        float[] last = emu.download(d.forwardCachedLast(new int[] {one[SEQ - 1]}, 1, cache));
        float[] expected = Arrays.copyOfRange(full, (SEQ - 1) * C.vocab(), SEQ * C.vocab());
        assertTrue(
            Errors.relativeL2(last, expected) < 2e-2,
            "cached logits differ by " + Errors.relativeL2(last, expected));
      }
      assertTrue(emu.bf16Ops.contains("copyAt"), "the KV cache holds bf16: " + emu.bf16Ops);
      int[] generated =
          new Generator(d).generate(new int[] {1, 2, 3}, 4, -1, Sampler.Settings.greedy());
      assertEquals(7, generated.length);

      d.mergeLora();
      d.unmergeLora();
    }
    w32.close();
  }
}
