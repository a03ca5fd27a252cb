package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The NCCL bindings, with ranks as threads of this process, one CUDA backend (device, context)
 * each: the sums are the rank-order sums on every rank, in fp32, fp64 and bf16; broadcast copies
 * rank 0's values; calls that differ between ranks fail with NCCL's own error; a missing libnccl is
 * one sentence. Under the simulator (which has four devices in this build) or on a machine with
 * enough GPUs and NCCL.
 */
class NcclTest {

  /**
   * Runs {@code body(rank, backend, communicator)} on {@code n} threads, one device each; returns
   * their results.
   */
  private static <T> List<T> ranks(int n, RankBody<T> body) throws Exception {
    Gpu.assumeAvailable("NcclTest");
    Nccl nccl = ncclOrSkip();
    assumeDevices(n);
    byte[] id = nccl.uniqueId();
    assertEquals(Nccl.UNIQUE_ID_BYTES, id.length);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        futures.add(
            pool.submit(
                () -> {
                  try (CudaBackend gpu = new CudaBackend(rank)) {
                    gpu.synchronize();
                    try (Nccl.Communicator comm = nccl.join(id, n, rank)) {
                      return body.run(rank, gpu, comm, nccl);
                    }
                  }
                }));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @FunctionalInterface
  private interface RankBody<T> {
    T run(int rank, CudaBackend gpu, Nccl.Communicator comm, Nccl nccl) throws Exception;
  }

  private static Nccl ncclOrSkip() {
    try {
      return Nccl.load();
    } catch (LorakitInputException e) {
      String reason = "Skipping NcclTest: " + e.getMessage();
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
      throw e;
    }
  }

  private static void assumeDevices(int n) {
    try (CudaBackend last = new CudaBackend(n - 1)) {
      last.synchronize();
    } catch (CudaException e) {
      String reason = "Skipping NcclTest: it needs " + n + " devices (" + e.getMessage() + ")";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  private static float[] values(int rank, int n) {
    SplittableRandom rnd = new SplittableRandom(100 + rank);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-3, 4)));
    }
    return v;
  }

  @Test
  void theSumIsTheRankOrderSumOnEveryRankInFp32() throws Exception {
    int n = 300_000; // more than one 1 MiB round of the simulator
    List<float[]> got =
        ranks(
            4,
            (rank, gpu, comm, nccl) -> {
              float[] mine = values(rank, n);
              // Where the order matters: 1e8 + 1 rounds back to 1e8 in fp32.
              mine[0] = new float[] {1e8f, 1f, -1e8f, 1f}[rank];
              try (Tensor t = gpu.upload(mine, DType.F32, Shape.of(n))) {
                comm.allReduceSum(
                    ((CudaTensor) t).pointer(),
                    ((CudaTensor) t).pointer(),
                    n,
                    Nccl.FLOAT32,
                    gpu.stream());
                return gpu.download(t);
              }
            });
    float[] expected = values(0, n);
    expected[0] = 1e8f;
    for (int r = 1; r < 4; r++) {
      float[] v = values(r, n);
      v[0] = new float[] {1e8f, 1f, -1e8f, 1f}[r];
      for (int i = 0; i < n; i++) {
        expected[i] = expected[i] + v[i];
      }
    }
    assertEquals(1f, expected[0], "((1e8 + 1) - 1e8) + 1 in fp32");
    for (int r = 0; r < 4; r++) {
      assertArrayEquals(expected, got.get(r), "rank " + r);
    }
  }

  @Test
  void bf16AndFp64SumsRoundAsTheirTypes() throws Exception {
    int n = 1000;
    List<float[]> bf16 =
        ranks(
            2,
            (rank, gpu, comm, nccl) -> {
              try (Tensor t = gpu.upload(values(rank, n), DType.BF16, Shape.of(n))) {
                long p = ((CudaTensor) t).pointer();
                comm.allReduceSum(p, p, n, Nccl.BFLOAT16, gpu.stream());
                try (Tensor wide = gpu.zeros(DType.F32, Shape.of(n))) {
                  gpu.copy(t, wide);
                  return gpu.download(wide);
                }
              }
            });
    float[] a = values(0, n);
    float[] b = values(1, n);
    float[] expected = new float[n];
    for (int i = 0; i < n; i++) {
      float x = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(a[i]));
      float y = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(b[i]));
      expected[i] = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(x + y));
    }
    assertArrayEquals(expected, bf16.get(0));
    assertArrayEquals(expected, bf16.get(1));

    List<double[]> fp64 =
        ranks(
            2,
            (rank, gpu, comm, nccl) -> {
              double[] v = {rank == 0 ? 1e17 : 1, rank + 0.25};
              // Through the data-parallel class, which sums scalars in float64.
              return sumScalars(gpu, comm, nccl, v);
            });
    assertArrayEquals(new double[] {1e17 + 1, 1.5}, fp64.get(0));
    assertArrayEquals(fp64.get(0), fp64.get(1));
  }

  private static double[] sumScalars(
      CudaBackend gpu, Nccl.Communicator comm, Nccl nccl, double[] v) {
    NcclDataParallel dp = NcclDataParallel.over(gpu, nccl, comm);
    dp.sumScalars(v);
    dp.releaseBuffers();
    return v;
  }

  @Test
  void groupedGradientsAreSummedAndBroadcastCopiesRankZero() throws Exception {
    List<List<float[]>> got =
        ranks(
            2,
            (rank, gpu, comm, nccl) -> {
              NcclDataParallel dp = NcclDataParallel.over(gpu, nccl, comm);
              try (Tensor g1 = gpu.upload(values(rank, 7), DType.F32, Shape.of(7));
                  Tensor g2 = gpu.upload(values(rank + 10, 12), DType.F32, Shape.of(3, 4));
                  Tensor w = gpu.upload(values(rank + 20, 5), DType.F32, Shape.of(5))) {
                dp.sumGradients(List.of(g1, g2));
                dp.broadcast(List.of(w));
                return List.of(gpu.download(g1), gpu.download(g2), gpu.download(w));
              } finally {
                dp.releaseBuffers();
              }
            });
    for (int t = 0; t < 2; t++) {
      float[] x = values(t == 0 ? 0 : 10, t == 0 ? 7 : 12);
      float[] y = values(t == 0 ? 1 : 11, t == 0 ? 7 : 12);
      float[] sum = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        sum[i] = x[i] + y[i];
      }
      assertArrayEquals(sum, got.get(0).get(t));
      assertArrayEquals(sum, got.get(1).get(t));
    }
    assertArrayEquals(values(20, 5), got.get(0).get(2));
    assertArrayEquals(values(20, 5), got.get(1).get(2), "rank 1 holds rank 0's values");
  }

  @Test
  void ranksThatCallDifferentCollectivesFailWithNcclsError() throws Exception {
    Gpu.assumeSimulator("NcclTest.ranksThatCallDifferentCollectivesFailWithNcclsError");
    List<Throwable> got =
        ranks(
            2,
            (rank, gpu, comm, nccl) -> {
              try (Tensor t = gpu.zeros(DType.F32, Shape.of(16))) {
                long p = ((CudaTensor) t).pointer();
                comm.allReduceSum(p, p, rank == 0 ? 10 : 11, Nccl.FLOAT32, gpu.stream());
                return null;
              } catch (Nccl.Failure e) {
                return e;
              }
            });
    for (int r = 0; r < 2; r++) {
      Nccl.Failure f = assertInstanceOf(Nccl.Failure.class, got.get(r), "rank " + r);
      assertTrue(
          f.getMessage()
              .startsWith(
                  "ncclAllReduce("
                      + (r == 0 ? 10 : 11)
                      + " elements) failed with invalid "
                      + "usage"),
          f.getMessage());
      assertFalse(f.remote());
    }
  }

  @Test
  void eachSimulatedDeviceHasItsOwnContextAndMemory() throws Exception {
    Gpu.assumeSimulator("NcclTest.eachSimulatedDeviceHasItsOwnContextAndMemory");
    long bytes = 64L << 20;
    // Rank 1 takes 64 MiB between two barriers; rank 0 measures its own device's free memory across
    // them.
    List<long[]> free =
        ranks(
            2,
            (rank, gpu, comm, nccl) -> {
              long before = gpu.memoryInfo()[0];
              try (Tensor _ =
                  rank == 1 ? gpu.zeros(DType.F32, Shape.of((int) (bytes / 4))) : null) {
                NcclDataParallel dp = NcclDataParallel.over(gpu, nccl, comm);
                dp.sumScalars(new double[] {0});
                long during = gpu.memoryInfo()[0];
                dp.sumScalars(new double[] {0});
                dp.releaseBuffers();
                return new long[] {before, during, gpu.context().address()};
              }
            });
    assertTrue(free.get(1)[1] <= free.get(1)[0] - bytes, "device 1's memory is taken");
    assertTrue(
        free.get(0)[1] >= free.get(0)[0] - (1 << 20), "device 0's is not (beside a scalar buffer)");
    assertTrue(free.get(0)[2] != free.get(1)[2], "a context per device");
  }

  @Test
  void aMissingLibraryIsOneSentence() {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class, () -> Nccl.load(List.of("libnccl-absent.so.2"), Map.of()));
    assertTrue(
        e.getMessage()
            .startsWith(
                "Training on several GPUs needs NVIDIA's NCCL (libnccl.so.2), which was not "
                    + "found (tried "),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("libnccl-absent.so.2 via the dynamic loader"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void errorStringsAreNcclsOwn() {
    Gpu.assumeAvailable("NcclTest.errorStringsAreNcclsOwn");
    Nccl nccl = ncclOrSkip();
    assertEquals("no error", nccl.errorString(0));
    assertEquals(
        "remote process exited or there was a network error",
        nccl.errorString(Nccl.NCCL_REMOTE_ERROR));
    assertTrue(nccl.version() >= 21000, "bf16 needs NCCL 2.10 or newer: " + nccl.version());
  }
}
