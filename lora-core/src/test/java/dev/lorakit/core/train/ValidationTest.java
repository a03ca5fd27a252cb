package dev.lorakit.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.testkit.RandomModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ValidationTest {

  private static final CpuBackend BE = new CpuBackend(2);
  private static final DecoderConfig C = RandomModel.mistralLike();

  @AfterAll
  static void close() {
    BE.close();
  }

  private static List<Example> examples(int n) {
    Random rnd = new Random(5);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          Example.promptCompletion(
              RandomModel.tokens(rnd, 2 + rnd.nextInt(4), C.vocab()),
              RandomModel.tokens(rnd, 1 + rnd.nextInt(3), C.vocab())));
    }
    return out;
  }

  @Test
  void theMeanLossIsPerCountedTokenOverAllBatchesWithoutDropoutAndLeavesTheModeAsItWas() {
    LoraSpec spec = RandomModel.spec(C, 4, 8, 0.5, false, RandomModel.ALL);
    List<Example> held = examples(5);
    try (Decoder d = new Decoder(C, RandomModel.weights(C, BE, 1), BE);
        LoraWeights lora = RandomModel.lora(spec, BE, 2)) {
      d.setLora(lora);
      double sum = 0;
      long counted = 0;
      for (Example e : held) {
        int n = CausalLmLoss.counted(CausalLmLoss.targets(e.labels(), 1));
        sum += CausalLmLoss.loss(d, e.ids(), e.labels(), 1) * n;
        counted += n;
      }
      double expected = sum / counted;
      Validation.Settings every = new Validation.Settings(1, 0);
      double oneByOne = new Validation(held, 1, 0, every).meanLoss(d);
      double inBatches = new Validation(held, 3, 0, every).meanLoss(d);
      assertEquals(expected, oneByOne, 1e-5 * expected);
      assertEquals(expected, inBatches, 1e-5 * expected, "right padding does not change the mean");

      d.setTraining(true);
      d.setDropoutSeed(9);
      Example first = held.get(0);
      double withDropout = CausalLmLoss.loss(d, first.ids(), first.labels(), 1);
      d.setTraining(false);
      assertNotEquals(
          CausalLmLoss.loss(d, first.ids(), first.labels(), 1),
          withDropout,
          "dropout 0.5 changes the loss, so the next check can fail");
      d.setTraining(true);
      assertEquals(
          inBatches,
          new Validation(held, 3, 0, every).meanLoss(d),
          0,
          "no dropout while validating");
      assertTrue(d.isTraining(), "a training decoder stays in training mode");
      d.setLora(null);
    }
  }

  @Test
  void theBestIsTheLowestAndPatienceCountsMeasurementsWithoutANewLowest() {
    Validation v = new Validation(examples(2), 2, 0, new Validation.Settings(10, 2));
    assertEquals(-1, v.bestStep());
    assertTrue(v.record(10, 3.0).improved());
    assertTrue(v.record(20, 2.0).improved());
    Validation.Outcome same = v.record(30, 2.0);
    assertFalse(same.improved() || same.stop(), "equal is not better; one of two");
    Validation.Outcome nan = v.record(40, Double.NaN);
    assertFalse(nan.improved());
    assertTrue(nan.stop(), "a non-finite measurement counts against the patience");
    assertEquals(2.0, v.bestLoss());
    assertEquals(20, v.bestStep());
    assertEquals(2, v.sinceBest());
    assertTrue(v.record(50, 1.5).improved());
    assertEquals(0, v.sinceBest());

    Validation never = new Validation(examples(2), 2, 0, new Validation.Settings(10, 0));
    never.record(1, 1.0);
    assertTrue(
        IntStream.range(2, 50).noneMatch(s -> never.record(s, 2.0).stop()),
        "patience 0 never stops");
    assertTrue(
        never.due(20, 25) && never.due(25, 25) && !never.due(21, 25),
        "every 10 steps and the last");
  }

  @Test
  void theHeldOutSplitIsSeededDisjointAndKeepsTheOrder() {
    List<Integer> all = IntStream.range(0, 20).boxed().toList();
    List<List<Integer>> a = Validation.split(all, 0.25, 7);
    assertEquals(a, Validation.split(all, 0.25, 7), "the same seed, the same split");
    assertNotEquals(a.get(1), Validation.split(all, 0.25, 8).get(1));
    assertEquals(5, a.get(1).size());
    assertEquals(15, a.get(0).size());
    List<Integer> union = new ArrayList<>(a.get(0));
    union.addAll(a.get(1));
    assertEquals(all, union.stream().sorted().toList(), "every example in exactly one part");
    for (List<Integer> part : a) {
      assertEquals(part.stream().sorted().toList(), part, "file order kept");
    }
    assertEquals(
        1, Validation.split(List.of(1, 2), 0.01, 1).get(1).size(), "at least one held out");
    assertEquals(
        1, Validation.split(List.of(1, 2), 0.99, 1).get(0).size(), "at least one to train on");
    assertThrows(LorakitInputException.class, () -> Validation.split(all, 1.0, 1));
    Example unlearned =
        new Example(new int[] {1, 2}, new int[] {Backend.IGNORE_INDEX, Backend.IGNORE_INDEX});
    assertThrows(
        LorakitInputException.class,
        () -> new Validation(List.of(unlearned), 1, 0, new Validation.Settings(1, 0)));
  }
}
