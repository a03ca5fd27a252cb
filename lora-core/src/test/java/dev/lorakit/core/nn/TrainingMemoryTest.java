package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.Bf16EmulatedBackend;
import dev.lorakit.testkit.RandomModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory plan against what a training step really allocates (every zeros/upload counted by a
 * wrapping backend), the frozen base getting no gradient buffer, and the chunked loss against the
 * unchunked one.
 */
class TrainingMemoryTest {

  private static final CpuBackend BE = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();

  @AfterAll
  static void close() {
    BE.close();
  }

  /**
   * Counts the bytes and remembers the shapes of every tensor made through it; the ops go to the
   * CPU backend.
   */
  static final class CountingBackend implements Backend {
    final Backend backend;
    long bytes;
    final List<Shape> shapes = new ArrayList<>();

    CountingBackend(Backend backend) {
      this.backend = backend;
    }

    private Tensor counted(Tensor t) {
      bytes += t.size() * t.dtype().bytes();
      shapes.add(t.shape());
      return t;
    }

    @Override
    public String name() {
      return "counting " + backend.name();
    }

    @Override
    public boolean supports(Precision p) {
      return backend.supports(p);
    }

    @Override
    public DType activations(Precision p) {
      return backend.activations(p);
    }

    @Override
    public Tensor zeros(DType d, Shape s) {
      return counted(backend.zeros(d, s));
    }

    @Override
    public Tensor upload(float[] x, DType d, Shape s) {
      return counted(backend.upload(x, d, s));
    }

    @Override
    public float[] download(Tensor t) {
      return backend.download(t);
    }

    @Override
    public void copy(Tensor s, Tensor d) {
      backend.copy(s, d);
    }

    @Override
    public void copyAt(Tensor s, Tensor d, int b, int p) {
      backend.copyAt(s, d, b, p);
    }

    @Override
    public void copyColumns(Tensor s, int sc, Tensor d, int dc, int r, int c) {
      backend.copyColumns(s, sc, d, dc, r, c);
    }

    @Override
    public void fill(Tensor t, float v) {
      backend.fill(t, v);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor o) {
      backend.add(a, b, o);
    }

    @Override
    public void addScaled(Tensor x, float a, Tensor y) {
      backend.addScaled(x, a, y);
    }

    @Override
    public void scale(Tensor x, float s) {
      backend.scale(x, s);
    }

    @Override
    public double sumOfSquares(Tensor x) {
      return backend.sumOfSquares(x);
    }

    @Override
    public boolean allFinite(Tensor x) {
      return backend.allFinite(x);
    }

    @Override
    public void dropout(Tensor x, Tensor o, float p, long seed) {
      backend.dropout(x, o, p, seed);
    }

    @Override
    public void matmul(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c, float al, float bt) {
      backend.matmul(a, ta, b, tb, c, al, bt);
    }

    @Override
    public void embedding(Tensor t, int[] ids, Tensor o) {
      backend.embedding(t, ids, o);
    }

    @Override
    public void embeddingBackward(Tensor g, int[] ids, Tensor d) {
      backend.embeddingBackward(g, ids, d);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor w, float e, Tensor o, Tensor r) {
      backend.rmsNorm(x, w, e, o, r);
    }

    @Override
    public void rmsNormBackward(Tensor g, Tensor x, Tensor w, Tensor r, Tensor dx, Tensor dw) {
      backend.rmsNormBackward(g, x, w, r, dx, dw);
    }

    @Override
    public void rope(Tensor x, int b, int h, Tensor c, Tensor s, int p, boolean inv) {
      backend.rope(x, b, h, c, s, p, inv);
    }

    @Override
    public void attention(
        Tensor q,
        Tensor k,
        Tensor v,
        Tensor o,
        Tensor l,
        int b,
        int h,
        int kh,
        int p,
        int kl,
        int w) {
      backend.attention(q, k, v, o, l, b, h, kh, p, kl, w);
    }

    @Override
    public void attentionBackward(
        Tensor g,
        Tensor q,
        Tensor k,
        Tensor v,
        Tensor o,
        Tensor l,
        Tensor dq,
        Tensor dk,
        Tensor dv,
        int b,
        int h,
        int kh,
        int w) {
      backend.attentionBackward(g, q, k, v, o, l, dq, dk, dv, b, h, kh, w);
    }

    @Override
    public void swiglu(Tensor g, Tensor u, Tensor o) {
      backend.swiglu(g, u, o);
    }

    @Override
    public void swigluBackward(Tensor d, Tensor g, Tensor u, Tensor dg, Tensor du) {
      backend.swigluBackward(d, g, u, dg, du);
    }

    @Override
    public double crossEntropy(Tensor z, int[] t, Tensor dz, float s) {
      return backend.crossEntropy(z, t, dz, s);
    }

    @Override
    public void adamW(
        Tensor p,
        Tensor g,
        Tensor m,
        Tensor v,
        double lr,
        double b1,
        double b2,
        double e,
        double wd,
        int step) {
      backend.adamW(p, g, m, v, lr, b1, b2, e, wd, step);
    }

    @Override
    public void close() {}
  }

  private static int[] targets(Random rnd, int n) {
    int[] t = RandomModel.tokens(rnd, n, C.vocab());
    return t;
  }

  @ParameterizedTest(name = "{3}, checkpointing {0}, dropout {1}, loss chunk {2}")
  @CsvSource({
    "false, 0.0, 0, FP32",
    "true, 0.0, 0, FP32",
    "false, 0.1, 20, FP32",
    "true, 0.1, 64, FP32",
    "false, 0.0, 7, FP32",
    "false, 0.1, 20, BF16",
    "true, 0.1, 64, BF16",
    "true, 0.0, 0, BF16"
  })
  void thePlanIsWhatATrainingStepAllocatesAndTheBaseGetsNoGradient(
      boolean ckpt, double dropout, int chunk, Precision precision) {
    int batch = 3;
    int seq = 11;
    // bf16 through the emulating backend, which holds bf16 activations as the GPU does (the CPU
    // keeps them F32).
    CountingBackend counting =
        new CountingBackend(precision == Precision.BF16 ? new Bf16EmulatedBackend(BE) : BE);
    DecoderWeights w = RandomModel.weights(C, counting, 1);
    long weightBytes = counting.bytes;
    LoraSpec spec = RandomModel.spec(C, 3, 6, dropout, false, RandomModel.ALL);
    counting.bytes = 0;
    counting.shapes.clear();
    try (Decoder d = new Decoder(C, w, counting, precision);
        LoraWeights lora = LoraWeights.zeros(spec, counting)) {
      long loraBytes = counting.bytes;
      d.setLora(lora);
      d.setTraining(true);
      d.setCheckpointing(ckpt);
      d.setLossChunkRows(chunk);
      int[] ids = RandomModel.tokens(new Random(3), batch * seq, C.vocab());
      counting.bytes = 0;
      counting.shapes.clear();
      for (int step = 0; step < 2; step++) {
        Activations a = d.forwardForLoss(ids, batch);
        d.backward(a, targets(new Random(4), batch * seq), 0.1f);
        if (step == 0) {
          // The second step allocates nothing: the buffers are reused.
          counting.shapes.add(null);
        }
      }
      assertEquals(
          null, counting.shapes.get(counting.shapes.size() - 1), "the second step allocated");
      TrainingMemory plan =
          TrainingMemory.of(
              C,
              spec,
              batch,
              seq,
              ckpt,
              4,
              precision == Precision.BF16 ? 2 : 4,
              dropout > 0,
              chunk);
      assertEquals(weightBytes, plan.weights());
      // A and B and their gradients are allocated here; the two AdamW moments belong to the
      // optimiser.
      assertEquals(plan.lora() / 2, loraBytes);
      assertEquals(
          plan.activations() + plan.scratch(), counting.bytes, "bytes allocated by the step");
      List<Shape> base = new ArrayList<>();
      for (LayerWeights lw : w.layers()) {
        for (Tensor t : List.of(lw.q(), lw.k(), lw.v(), lw.o(), lw.gate(), lw.up(), lw.down())) {
          base.add(t.shape());
        }
      }
      base.add(w.lmHead().shape());
      for (Shape s : counting.shapes) {
        assertFalse(
            base.contains(s), "a buffer of a frozen weight's shape " + s + " was allocated");
      }
    }
  }

  @Test
  void sevenBillionShapesHaveThePublishedParameterCounts() {
    DecoderConfig llama =
        new DecoderConfig(32000, 4096, 11008, 32, 32, 32, 128, 10000, 1e-5, 0, false, 4096);
    DecoderConfig mistral =
        new DecoderConfig(32000, 4096, 14336, 32, 32, 8, 128, 10000, 1e-5, 4096, false, 32768);
    assertEquals(6_738_415_616L, TrainingMemory.parameters(llama));
    assertEquals(7_241_732_096L, TrainingMemory.parameters(mistral));
    TrainingMemory m = TrainingMemory.of(llama, null, 4, 512, false, 2, 2, false, 512);
    assertEquals(6_738_415_616L * 2 + 65 * 4096 * 2, m.weights());
  }

  @ParameterizedTest(name = "chunk {0}")
  @CsvSource({"1", "5", "64", "100"})
  void theChunkedLossEqualsTheUnchunkedOne(int chunk) {
    int batch = 2;
    int seq = 17;
    Random rnd = new Random(8);
    int[] ids = RandomModel.tokens(rnd, batch * seq, C.vocab());
    int[] targets = RandomModel.tokens(rnd, batch * seq, C.vocab());
    for (int i = 0; i < targets.length; i += 3) {
      targets[i] = Backend.IGNORE_INDEX;
    }
    LoraSpec spec = RandomModel.spec(C, 3, 6, 0, false, RandomModel.ALL);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 5), BE);
        LoraWeights lora = RandomModel.lora(spec, BE, 6)) {
      d.setLora(lora);
      d.setTraining(true);
      lora.zeroGrad();
      double whole = d.backward(d.forwardForLoss(ids, batch), targets, 0.05f);
      List<float[]> expected = new ArrayList<>();
      for (Parameter p : lora.parameters()) {
        expected.add(BE.download(p.grad()));
      }
      d.setLossChunkRows(chunk);
      lora.zeroGrad();
      double chunked = d.backward(d.forwardForLoss(ids, batch), targets, 0.05f);
      assertEquals(whole, chunked, 1e-9 * Math.abs(whole));
      for (int i = 0; i < expected.size(); i++) {
        float[] actual = BE.download(lora.parameters().get(i).grad());
        float[] e = expected.get(i);
        for (int j = 0; j < e.length; j++) {
          assertEquals(
              e[j], actual[j], 1e-6 * Math.max(1, Math.abs(e[j])), lora.parameters().get(i).name());
        }
      }
      assertTrue(BE.sumOfSquares(lora.parameters().get(0).grad()) > 0);
      assertArrayEquals(expected.get(0).clone(), expected.get(0));
    }
  }
}
