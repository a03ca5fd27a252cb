package dev.lorakit.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.RandomModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's data-parallel hook on the CPU, with ranks as threads that sum through Java arrays
 * in rank order (as lora-cuda's NCCL does under the simulator): one micro-batch per rank gives the
 * one-device run bit for bit, two per rank agrees within float32 rounding, every rank starts from
 * rank 0's state (so a resume at another world size continues the run), rank 0 leaving early
 * releases the others, and a share that does not divide is refused; the same through {@link
 * TrainingRun}, where only rank 0 writes the run folder.
 */
class DataParallelTrainerTest {

  private static final DecoderConfig C = RandomModel.mistralLike();
  private static final LoraSpec SPEC = RandomModel.spec(C, 4, 8, 0.1, false, RandomModel.ALL);

  private static List<Example> data() {
    Random rnd = new Random(7);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      int[] prompt = RandomModel.tokens(rnd, 2 + rnd.nextInt(4), C.vocab());
      out.add(Example.promptCompletion(prompt, new int[] {7, 8, 9, 10 + i % 3}));
    }
    return out;
  }

  private static Trainer.Settings settings(int steps, Path dir, int every) {
    return new Trainer.Settings(
        1, 4, steps, LrSchedule.cosine(5e-2, 1, steps), 1.0, every, dir, 99, 0);
  }

  /**
   * Ranks as threads: each collective is a meeting of all of them, summing their arrays in rank
   * order.
   */
  static final class ThreadRanks {
    private final int size;
    private final CyclicBarrier barrier;
    private final Object[] slots;

    ThreadRanks(int size) {
      this.size = size;
      this.barrier = new CyclicBarrier(size);
      this.slots = new Object[size];
    }

    DataParallel rank(int r, Backend backend) {
      return new DataParallel() {
        @Override
        public int rank() {
          return r;
        }

        @Override
        public int worldSize() {
          return size;
        }

        @Override
        public void sumScalars(double[] values) {
          double[] sum = (double[]) meet(values.clone());
          System.arraycopy(sum, 0, values, 0, values.length);
        }

        @Override
        public void sumGradients(List<Tensor> gradients) {
          exchange(gradients, true);
        }

        @Override
        public void broadcast(List<Tensor> tensors) {
          exchange(tensors, false);
        }

        private void exchange(List<Tensor> tensors, boolean sum) {
          float[][] mine = tensors.stream().map(backend::download).toArray(float[][]::new);
          float[][] result = sum ? (float[][]) meet(mine) : (float[][]) meetRankZero(mine);
          for (int i = 0; i < tensors.size(); i++) {
            try (Tensor t =
                backend.upload(result[i], tensors.get(i).dtype(), tensors.get(i).shape())) {
              backend.copy(t, tensors.get(i));
            }
          }
        }

        private Object meet(Object mine) {
          slots[r] = mine;
          await();
          Object sum = mine instanceof double[] ? sumDoubles() : sumFloats();
          await();
          return sum;
        }

        private Object meetRankZero(Object mine) {
          slots[r] = mine;
          await();
          Object first = slots[0];
          await();
          return first;
        }
      };
    }

    private double[] sumDoubles() {
      double[] acc = ((double[]) slots[0]).clone();
      for (int q = 1; q < size; q++) {
        double[] v = (double[]) slots[q];
        for (int i = 0; i < acc.length; i++) {
          acc[i] = acc[i] + v[i];
        }
      }
      return acc;
    }

    private float[][] sumFloats() {
      float[][] first = (float[][]) slots[0];
      float[][] acc = new float[first.length][];
      for (int t = 0; t < first.length; t++) {
        acc[t] = first[t].clone();
        for (int q = 1; q < size; q++) {
          float[] v = ((float[][]) slots[q])[t];
          for (int i = 0; i < v.length; i++) {
            acc[t][i] = acc[t][i] + v[i];
          }
        }
      }
      return acc;
    }

    private void await() {
      try {
        barrier.await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("a rank did not come to the collective", e);
      }
    }
  }

  /** What one rank ended with: its parameters, its losses and its step. */
  private record Outcome(List<float[]> params, List<Double> losses, int steps, Throwable failure) {}

  /**
   * One rank's run: adapter from {@code loraSeed}, optionally resumed from {@code checkpoint}, with
   * a listener.
   */
  private static Outcome rank(
      Trainer.Settings s, DataParallel dp, long loraSeed, Path checkpoint, Trainer.Listener extra) {
    try (CpuBackend backend = new CpuBackend(1);
        Decoder d = new Decoder(C, RandomModel.weights(C, backend, 1), backend);
        LoraWeights lora = LoraWeights.init(SPEC, backend, loraSeed)) {
      d.setLora(lora);
      try (AdamW opt = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
        Trainer t = new Trainer(d, lora, opt, s, data());
        if (dp != null) {
          t.dataParallel(dp instanceof Late late ? late.on(backend) : dp);
        }
        if (checkpoint != null) {
          t.loadCheckpoint(checkpoint);
        }
        List<Double> losses = new ArrayList<>();
        Throwable failure = null;
        try {
          t.train(
              m -> {
                losses.add(m.loss());
                if (extra != null) {
                  extra.onStep(m);
                }
              });
        } catch (Exception e) {
          failure = e;
        }
        List<float[]> params = new ArrayList<>();
        for (Parameter p : lora.parameters()) {
          params.add(backend.download(p.value()));
        }
        return new Outcome(params, losses, opt.stepCount(), failure);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A rank whose DataParallel needs the rank's backend, made inside {@link #rank}. */
  private record Late(ThreadRanks ranks, int r) implements DataParallel {
    DataParallel on(Backend backend) {
      return ranks.rank(r, backend);
    }

    @Override
    public int rank() {
      return r;
    }

    @Override
    public int worldSize() {
      return ranks.size;
    }

    @Override
    public void sumScalars(double[] values) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void sumGradients(List<Tensor> gradients) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void broadcast(List<Tensor> tensors) {
      throw new UnsupportedOperationException();
    }
  }

  @FunctionalInterface
  private interface RankRun {
    Outcome run(int rank, DataParallel dp);
  }

  private static List<Outcome> ranks(int n, RankRun body) throws Exception {
    ThreadRanks ranks = new ThreadRanks(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        futures.add(pool.submit(() -> body.run(rank, new Late(ranks, rank))));
      }
      List<Outcome> out = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertSameParams(Outcome expected, Outcome actual, String what) {
    for (int i = 0; i < expected.params().size(); i++) {
      assertArrayEquals(
          expected.params().get(i), actual.params().get(i), what + ", parameter " + i);
    }
  }

  @Test
  void fourRanksOfOneMicroBatchAreTheOneDeviceRunBitForBitAndTwoRanksAgreeWithinRounding()
      throws Exception {
    Outcome one = rank(settings(3, null, 0), null, 2, null, null);
    List<Outcome> four = ranks(4, (r, dp) -> rank(settings(3, null, 0), dp, 2, null, null));
    for (Outcome o : four) {
      assertSameParams(one, o, "4 ranks against 1");
      assertEquals(3, o.steps());
    }
    assertEquals(one.losses(), four.get(0).losses(), "the step's loss is summed over the ranks");
    List<Outcome> two = ranks(2, (r, dp) -> rank(settings(3, null, 0), dp, 2, null, null));
    assertSameParams(two.get(0), two.get(1), "both ranks take the same steps");
    for (int i = 0; i < one.params().size(); i++) {
      float[] a = one.params().get(i);
      float[] b = two.get(0).params().get(i);
      for (int j = 0; j < a.length; j++) {
        assertEquals(a[j], b[j], 1e-5 + 1e-3 * Math.abs(a[j]), "parameter " + i + "[" + j + "]");
      }
    }
  }

  @Test
  void everyRankStartsFromRankZeroSoAResumeAtAnotherWorldSizeContinuesTheRun(@TempDir Path dir)
      throws Exception {
    Outcome straight = rank(settings(4, dir.resolve("straight"), 2), null, 2, null, null);
    Path checkpoint = dir.resolve("straight").resolve("checkpoint-2.safetensors");
    // Rank 0 loads the one-device checkpoint; ranks 1 to 3 start from another adapter at step 0.
    List<Outcome> resumed =
        ranks(
            4,
            (r, dp) ->
                rank(
                    settings(4, dir.resolve("rank" + r), 2),
                    dp,
                    r == 0 ? 2 : 5,
                    r == 0 ? checkpoint : null,
                    null));
    for (Outcome o : resumed) {
      assertSameParams(straight, o, "resumed on 4 ranks");
      assertEquals(4, o.steps());
    }
    assertEquals(straight.losses().subList(2, 4), resumed.get(0).losses());
    assertTrue(Files.exists(dir.resolve("rank0").resolve("checkpoint-4.safetensors")));
    assertTrue(Files.notExists(dir.resolve("rank1")), "only rank 0 writes checkpoints");
  }

  @Test
  void rankZeroLeavingEarlyReleasesTheOthers() throws Exception {
    IllegalStateException stop = new IllegalStateException("stopped");
    List<Outcome> got =
        ranks(
            2,
            (r, dp) ->
                rank(
                    settings(5, null, 0),
                    dp,
                    2,
                    null,
                    r != 0
                        ? null
                        : m -> {
                          if (m.step() == 2) {
                            throw stop;
                          }
                        }));
    assertSame(stop, got.get(0).failure());
    assertEquals(null, got.get(1).failure(), "rank 1 ends without an error");
    assertEquals(2, got.get(1).steps(), "after the last step rank 0 took");
    assertSameParams(got.get(0), got.get(1), "the same adapter at the step rank 0 left");
  }

  /**
   * One rank's {@link TrainingRun} of 4 steps in {@code folder}, stopped after {@code stopAt} steps
   * if above 0.
   */
  private static Outcome runRank(
      DataParallel dp, long loraSeed, Path folder, boolean resume, int stopAt) {
    try (CpuBackend backend = new CpuBackend(1);
        Decoder d = new Decoder(C, RandomModel.weights(C, backend, 1), backend);
        LoraWeights lora = LoraWeights.init(SPEC, backend, loraSeed)) {
      d.setLora(lora);
      List<Double> losses = new ArrayList<>();
      TrainingRun.Result r =
          TrainingRun.builder(d, data())
              .settings(settings(4, null, 0))
              .folder(folder)
              .resume(resume)
              .checkpointEvery(0)
              .dataParallel(dp instanceof Late late ? late.on(backend) : dp)
              .listener(p -> losses.add(p.metrics().loss()))
              .stopWhen(() -> stopAt > 0 && losses.size() >= stopAt)
              .build()
              .run();
      List<float[]> params = new ArrayList<>();
      for (Parameter p : lora.parameters()) {
        params.add(backend.download(p.value()));
      }
      return new Outcome(
          params,
          losses,
          r.steps(),
          r.ending() == TrainingRun.Ending.STOPPED ? new Exception("stopped") : null);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aTrainingRunStoppedOnFourRanksWhereOnlyRankZeroWritesResumesOnOneDevice(@TempDir Path dir)
      throws Exception {
    Outcome straight = runRank(null, 2, dir.resolve("straight"), false, 0);
    Path run = dir.resolve("run");
    // Stopped on rank 0's request after step 2 (rank 1's own request is not heeded): every rank
    // ends there, with
    // the one-device adapter of step 2, and only rank 0's folder exists.
    List<Outcome> stopped =
        ranks(
            4,
            (r, dp) ->
                runRank(
                    dp,
                    r == 0 ? 2 : 5,
                    r == 0 ? run : dir.resolve("rank" + r),
                    r != 0,
                    r == 1 ? 1 : 2));
    Outcome half = runRank(null, 2, dir.resolve("half"), false, 2);
    for (Outcome o : stopped) {
      assertEquals(2, o.steps());
      assertTrue(o.failure() != null, "the run ended as stopped on every rank");
      assertSameParams(half, o, "stopped on 4 ranks");
    }
    assertEquals(half.losses(), stopped.get(0).losses());
    assertTrue(
        Files.exists(run.resolve(TrainingRun.CHECKPOINTS).resolve("checkpoint-2.safetensors")));
    for (int r = 1; r < 4; r++) {
      assertTrue(Files.notExists(dir.resolve("rank" + r)), "only rank 0 writes the run folder");
    }
    // Resumed on one device: the one-device run's adapter and log, bit for bit.
    Outcome resumed = runRank(null, 7, run, true, 0);
    assertSameParams(straight, resumed, "resumed on one device");
    assertEquals(straight.losses().subList(2, 4), resumed.losses());
    assertEquals(4, resumed.steps());
    assertEquals(
        withoutTimes(dir.resolve("straight")), withoutTimes(run), "the log of the same steps");
  }

  private static List<String> withoutTimes(Path folder) throws IOException {
    return Files.readAllLines(folder.resolve(TrainingRun.LOG_FILE)).stream()
        .map(l -> l.replaceAll(",\"elapsed\":[^,}]*", ""))
        .toList();
  }

  @Test
  void aTrainingRunRefusedOnRankZeroReleasesTheOthers(@TempDir Path dir) throws Exception {
    // Resuming a folder without a run: rank 0 refuses before its first step; rank 1 ends as stopped
    // at step 0.
    List<Outcome> got =
        ranks(
            2,
            (r, dp) -> {
              try {
                return runRank(dp, 2, dir.resolve("none"), true, 0);
              } catch (IllegalStateException e) {
                return new Outcome(List.of(), List.of(), -1, e.getCause());
              }
            });
    assertTrue(
        got.get(0).failure() instanceof LorakitInputException,
        String.valueOf(got.get(0).failure()));
    assertEquals(0, got.get(1).steps());
  }

  @Test
  void aShareThatDoesNotDivideIsRefusedInOneSentence() {
    try (CpuBackend backend = new CpuBackend(1);
        Decoder d = new Decoder(C, RandomModel.weights(C, backend, 1), backend);
        LoraWeights lora = LoraWeights.init(SPEC, backend, 2)) {
      d.setLora(lora);
      try (AdamW opt = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
        Trainer t =
            new Trainer(
                d,
                lora,
                opt,
                new Trainer.Settings(1, 3, 1, LrSchedule.cosine(1e-2, 0, 1), 1, 0, null, 1, 0),
                data());
        LorakitInputException e =
            assertThrows(
                LorakitInputException.class,
                () -> t.dataParallel(new ThreadRanks(2).rank(0, backend)));
        assertEquals(
            "Training on 2 devices splits each step's 3 micro-batches (gradient accumulation) among "
                + "them, so it must be a multiple of 2.",
            e.getMessage());
      }
    }
  }
}
