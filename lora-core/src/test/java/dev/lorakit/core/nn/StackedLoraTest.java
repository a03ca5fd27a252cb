package dev.lorakit.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.TargetModules;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.RandomModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stacked LoRA paths ({@link Decoder#setStackedLora}): q, k, v (and gate, up) computing {@code
 * x A^T}, {@code dA} and {@code dx} through A in one product each give the loss, the logits and
 * every LoRA gradient of the separate path, and the decoder falls back to the separate path where
 * dropout gives each projection its own input.
 */
class StackedLoraTest {

  private static final CpuBackend CPU = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();

  /** Counts the calls of {@link Backend#copyColumns}, the op only the stacked path uses. */
  private static final class Counted {
    final AtomicInteger copyColumns = new AtomicInteger();
    final Backend backend =
        (Backend)
            Proxy.newProxyInstance(
                Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("copyColumns")) {
                    copyColumns.incrementAndGet();
                  }
                  try {
                    return method.invoke(CPU, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
  }

  private record Step(double loss, float[] logits, List<float[]> grads) {}

  static Stream<Arguments> configs() {
    LoraConfig mixed = LoraConfig.of(3, 6, 0, new TargetModules.AllLinear());
    mixed =
        new LoraConfig(
            3,
            6,
            0,
            mixed.targetModules(),
            null,
            false,
            "none",
            null,
            null,
            Map.of(
                "k_proj",
                5,
                "model.layers.1.self_attn.q_proj",
                1,
                "gate_proj",
                2,
                "model.layers.0.mlp.up_proj",
                7),
            Map.of("v_proj", 2.5, "up_proj", 11.0),
            null,
            null,
            "CAUSAL_LM",
            null,
            "LORA",
            false,
            null,
            false,
            null);
    return Stream.of(
        Arguments.of(
            "all seven targets", RandomModel.spec(C, 4, 8, 0, false, RandomModel.ALL), false),
        Arguments.of("q and v", RandomModel.spec(C, 8, 16, 0, false, "q_proj", "v_proj"), false),
        Arguments.of(
            "k, v, up (rsLoRA)",
            RandomModel.spec(C, 4, 8, 0, true, "k_proj", "v_proj", "up_proj"),
            false),
        Arguments.of("mixed ranks and alphas", LoraSpec.of(mixed, C), false),
        Arguments.of(
            "all seven targets, checkpointing",
            RandomModel.spec(C, 4, 8, 0, false, RandomModel.ALL),
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void stackedEqualsSeparate(String name, LoraSpec spec, boolean checkpointing) {
    Step separate = step(spec, false, true, checkpointing, new Counted());
    Counted counted = new Counted();
    Step stacked = step(spec, true, true, checkpointing, counted);
    assertTrue(counted.copyColumns.get() > 0, "the stacked path ran");
    assertEquals(separate.loss, stacked.loss, 1e-6 * Math.abs(separate.loss), "loss");
    assertTrue(Errors.relativeL2(stacked.logits, separate.logits) < 1e-6, "logits");
    double worst = 0;
    for (int i = 0; i < separate.grads.size(); i++) {
      double e = Errors.relativeL2(stacked.grads.get(i), separate.grads.get(i));
      assertTrue(e < 1e-6, "gradient " + i + " differs by " + e);
      worst = Math.max(worst, e);
    }
    System.err.printf(
        "stacked vs separate LoRA (%s): loss %.3e relative, worst gradient relative L2 %.3e%n",
        name, Math.abs(stacked.loss - separate.loss) / Math.abs(separate.loss), worst);
  }

  @Test
  void dropoutFallsBackToTheSeparatePathAndEvaluationStacks() {
    LoraSpec spec = RandomModel.spec(C, 4, 8, 0.1, false, RandomModel.ALL);
    Counted counted = new Counted();
    Step stacked = step(spec, true, true, false, counted);
    assertEquals(0, counted.copyColumns.get(), "training with dropout stacks nothing");
    Step separate = step(spec, false, true, false, new Counted());
    assertEquals(separate.loss, stacked.loss, 0.0);
    for (int i = 0; i < separate.grads.size(); i++) {
      assertArrayEquals(separate.grads.get(i), stacked.grads.get(i));
    }
    // Without training, dropout is off, so every projection reads the same input again.
    Counted evaluation = new Counted();
    Step evalStacked = step(spec, true, false, false, evaluation);
    assertTrue(evaluation.copyColumns.get() > 0, "evaluation stacks");
    Step evalSeparate = step(spec, false, false, false, new Counted());
    assertTrue(Errors.relativeL2(evalStacked.logits, evalSeparate.logits) < 1e-6, "logits");
  }

  @Test
  void aSingleWrappedProjectionPerGroupIsNotStacked() {
    Counted counted = new Counted();
    step(
        RandomModel.spec(C, 4, 8, 0, false, "q_proj", "o_proj", "up_proj", "down_proj"),
        true,
        true,
        false,
        counted);
    assertEquals(0, counted.copyColumns.get());
  }

  @Test
  void copyColumnsCopiesABlockAndRefusesWhatDoesNotFit() {
    Tensor src = CPU.upload(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, Shape.of(2, 3));
    Tensor dst = CPU.zeros(DType.F32, Shape.of(2, 4));
    CPU.copyColumns(src, 1, dst, 2, 2, 2);
    assertArrayEquals(new float[] {0, 0, 2, 3, 0, 0, 5, 6}, CPU.download(dst));
    Tensor flat = CPU.zeros(DType.BF16, Shape.of(9));
    CPU.copyColumns(
        CPU.upload(new float[] {1, 2, 3, 4, 5, 6}, DType.BF16, Shape.of(2, 3)), 0, flat, 2, 1, 6);
    assertArrayEquals(new float[] {0, 0, 1, 2, 3, 4, 5, 6, 0}, CPU.download(flat));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CPU.copyColumns(src, 2, dst, 0, 2, 2));
    assertEquals(
        "copyColumns: cannot copy 2 columns from column 2 of [2, 3] F32 to column 0 of [2, 4] F32 as 2 rows.",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CPU.copyColumns(src, 0, flat, 0, 1, 3));
  }

  /**
   * One forward and backward of the mean loss; training mode with dropout seed 7 when {@code
   * training}.
   */
  private static Step step(
      LoraSpec spec, boolean stacked, boolean training, boolean checkpointing, Counted counted) {
    Backend backend = counted.backend;
    Random rnd = new Random(5);
    int batch = 2;
    int seq = 9;
    int[] ids = RandomModel.tokens(rnd, batch * seq, C.vocab());
    int[] labels = RandomModel.tokens(rnd, batch * seq, C.vocab());
    labels[0] = Backend.IGNORE_INDEX;
    labels[3] = Backend.IGNORE_INDEX;
    DecoderWeights w = RandomModel.weights(C, backend, 17);
    try (Decoder d = new Decoder(C, w, backend);
        LoraWeights lora = RandomModel.lora(spec, backend, 19)) {
      d.setStackedLora(stacked);
      d.setLora(lora);
      d.setTraining(training);
      d.setCheckpointing(checkpointing);
      d.setDropoutSeed(7);
      lora.zeroGrad();
      float[] logits = backend.download(d.forward(ids, batch).logits());
      double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
      List<float[]> grads = new ArrayList<>();
      for (Parameter p : lora.parameters()) {
        grads.add(backend.download(p.grad()));
      }
      return new Step(loss, logits, grads);
    } finally {
      w.close();
    }
  }
}
