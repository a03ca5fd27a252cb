package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.cuda.CudaBackendProvider;
import dev.lorakit.cuda.Nccl;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --gpus N} and {@code train --distributed} on the CUDA simulator's four devices (or
 * on a machine with that many GPUs and NCCL): with each GPU computing one micro-batch of a step,
 * the sum over GPUs runs in rank order, which is the one-GPU sum in the same order, so 4 GPUs give
 * the one-GPU adapter and log bit for bit, also across stops and resumes at other world sizes; with
 * two micro-batches per GPU the sums are grouped differently and the adapter agrees within float32
 * rounding. Two processes started like torchrun give the two-thread adapter bit for bit. The
 * one-sentence errors of bad requests are checked here too.
 */
class MultiGpuTrainTest {

  @TempDir static Path dir;
  static TinyRun run;
  private static Path oneGpu;

  @BeforeAll
  static void data() throws IOException {
    run = TinyRun.write(dir, 21, new SyntheticCases(9, 0).generate(16));
  }

  private static void assumeGpus() {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      String reason = "Skipping MultiGpuTrainTest: " + a.reason();
      System.err.println(reason);
      org.junit.jupiter.api.Assumptions.assumeTrue(false, reason);
    }
  }

  /** The run on one GPU that the others are held to (made once). */
  private static synchronized Path oneGpu() {
    if (oneGpu == null) {
      Path out = dir.resolve("one");
      CliRun r = cli(train(out, "--gpus", "1"));
      assertEquals(0, r.exitCode(), r.err());
      oneGpu = out;
    }
    return oneGpu;
  }

  /** train's arguments: 2 steps of 4 micro-batches of 1 on the GPU, then {@code more}. */
  private static List<String> train(Path out, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                run.model().toString(),
                "--data",
                run.data().toString(),
                "--task",
                "modality",
                "--out",
                out.toString(),
                "--device",
                "cuda",
                "--batch-size",
                "1",
                "--grad-accum",
                "4",
                "--max-steps",
                "2",
                "--lr",
                "1e-1",
                "--lora-r",
                "4",
                "--checkpoint-every",
                "0"));
    a.addAll(List.of(more));
    return a;
  }

  private static CliRun cli(List<String> args) {
    return CliRun.of(args.toArray(String[]::new));
  }

  /** Runs train with a stop request at the end of its {@code stopAt}-th step. */
  private static int trainStoppingAfter(int stopAt, List<String> args) {
    return TrainValidationTest.trainStoppingAfter(stopAt, args.toArray(String[]::new));
  }

  private static Map<String, float[]> adapter(Path out) throws IOException {
    return TrainValidationTest.tensors(out);
  }

  private static void assertSameBits(
      Map<String, float[]> expected, Map<String, float[]> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    expected.forEach((name, v) -> assertArrayEquals(v, actual.get(name), what + ": " + name));
  }

  @Test
  void fourGpusGiveTheOneGpuAdapterBitForBitAcrossResumesAtOtherWorldSizes() throws IOException {
    assumeGpus();
    Path one = oneGpu();
    // Each step once on 4 GPUs, with a stop and a resume at the other world size between the two
    // steps.
    for (String[] gpus : new String[][] {{"4", "1"}, {"1", "4"}}) {
      Path moved = dir.resolve("moved-" + gpus[0] + "-" + gpus[1]);
      assertEquals(130, trainStoppingAfter(1, train(moved, "--gpus", gpus[0])));
      CliRun r = cli(train(moved, "--gpus", gpus[1], "--resume"));
      assertEquals(0, r.exitCode(), r.err());
      assertTrue(r.out().contains("Trained 2 steps"), r.out());
      String what = gpus[0] + " then " + gpus[1] + " GPUs against 1";
      assertSameBits(adapter(one), adapter(moved), what);
      assertEquals(
          TrainValidationTest.logWithoutTimes(one),
          TrainValidationTest.logWithoutTimes(moved),
          what + ": the same losses, norms and global token counts");
    }
    // Rank 0 finds nothing to do and tells the other ranks, which wait for its first step, to
    // leave.
    CliRun r = cli(train(dir.resolve("moved-1-4"), "--gpus", "2", "--resume"));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("is already finished (2 steps)"), r.out());
  }

  @Test
  void twoGpusWithTwoMicroBatchesEachAgreeWithinFloat32RoundingAndTwoProcessesMatchTwoThreads()
      throws Exception {
    assumeGpus();
    Path one = oneGpu();
    Path two = dir.resolve("two");
    CliRun r = cli(train(two, "--gpus", "2"));
    assertEquals(0, r.exitCode(), r.err());
    Map<String, float[]> expected = adapter(one);
    Map<String, float[]> got = adapter(two);
    double worst = 0;
    for (var e : expected.entrySet()) {
      float[] a = e.getValue();
      float[] b = got.get(e.getKey());
      for (int i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(a[i])));
      }
    }
    // (g0 + g1) + (g2 + g3) against ((g0 + g1) + g2) + g3: float32 rounding, carried through two
    // AdamW steps.
    System.err.println(
        "MultiGpuTrainTest: 2 GPUs x 2 micro-batches against 1 GPU x 4, worst relative difference "
            + worst);
    assertTrue(worst < 1e-3, "worst relative difference " + worst);

    // The same run as two processes, as torchrun starts them: rank 0 writes the folder, rank 1
    // nothing.
    Path procs = dir.resolve("procs");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<Process> ranks = new ArrayList<>();
    for (int rank = 0; rank < 2; rank++) {
      ProcessBuilder pb = new ProcessBuilder(javaCommand(train(procs, "--distributed")));
      pb.environment()
          .putAll(
              Map.of(
                  "RANK",
                  Integer.toString(rank),
                  "WORLD_SIZE",
                  "2",
                  "LOCAL_RANK",
                  Integer.toString(rank),
                  "MASTER_ADDR",
                  "127.0.0.1",
                  "MASTER_PORT",
                  Integer.toString(port)));
      pb.redirectErrorStream(true);
      pb.redirectOutput(dir.resolve("rank" + rank + ".log").toFile());
      ranks.add(pb.start());
    }
    for (int rank = 0; rank < 2; rank++) {
      Process p = ranks.get(rank);
      assertTrue(p.waitFor(240, TimeUnit.SECONDS), "rank " + rank + " ended");
      assertEquals(
          0,
          p.exitValue(),
          Files.readString(dir.resolve("rank" + rank + ".log"), StandardCharsets.UTF_8));
    }
    assertSameBits(got, adapter(procs), "2 processes against 2 threads");
    String rank1 = Files.readString(dir.resolve("rank1.log"), StandardCharsets.UTF_8);
    assertFalse(rank1.contains("Trained"), "only rank 0 reports: " + rank1);
    assertTrue(
        Files.readString(dir.resolve("rank0.log"), StandardCharsets.UTF_8)
            .contains("Trained 2 steps"));
  }

  /**
   * One process through NCCL at world size 1 (a sum over one rank is a copy) gives the run without
   * NCCL bit for bit: the check for a machine with one GPU and real NCCL (scripts/gpu-checks.sh),
   * and for the simulator's.
   */
  @Test
  void worldSizeOneThroughNcclIsTheRunWithoutIt() throws Exception {
    assumeGpus();
    try {
      Nccl.load();
    } catch (LorakitInputException e) {
      String reason =
          "Skipping MultiGpuTrainTest.worldSizeOneThroughNcclIsTheRunWithoutIt: " + e.getMessage();
      System.err.println(reason);
      org.junit.jupiter.api.Assumptions.assumeTrue(false, reason);
    }
    Path plain = oneGpu();
    Path nccl = dir.resolve("nccl-1");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(javaCommand(train(nccl, "--distributed")));
    pb.environment()
        .putAll(
            Map.of(
                "RANK",
                "0",
                "WORLD_SIZE",
                "1",
                "LOCAL_RANK",
                "0",
                "MASTER_ADDR",
                "127.0.0.1",
                "MASTER_PORT",
                Integer.toString(port)));
    pb.redirectErrorStream(true);
    Path log = dir.resolve("nccl-1.log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the NCCL run ended");
    assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    assertSameBits(adapter(plain), adapter(nccl), "world size 1 through NCCL against no NCCL");
  }

  /** The command line that runs {@code lorakit} in a new JVM with this test's class path. */
  private static List<String> javaCommand(List<String> args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    cmd.addAll(args);
    return cmd;
  }

  @Test
  void badRequestsAreOneSentence() {
    assertError("--gpus is 0, expected at least 1.", "--gpus", "0");
    assertError(
        "--gpus 2 runs all ranks in this process and --distributed one rank per process under a launcher; "
            + "give one of them.",
        "--gpus",
        "2",
        "--distributed");
    assertError(
        "--gpus 2 trains on CUDA GPUs, not on --device cpu.", "--gpus", "2", "--device", "cpu");
  }

  @Test
  void requestsTheMachineCannotMeetAreOneSentence() {
    assumeGpus();
    assertError("--gpus 64 asks for more GPUs than this machine has (", "--gpus", "64");
    assertError(
        "--grad-accum 3 is not a multiple of the 2 GPUs: each computes the same share of every step's "
            + "micro-batches; give --grad-accum 4.",
        "--gpus",
        "2",
        "--grad-accum",
        "3");
    assertLaunchError(
        "--distributed needs its rank and world size from the launcher: RANK and WORLD_SIZE (torchrun) "
            + "or SLURM_PROCID and SLURM_NTASKS (srun), and neither is set.",
        Map.of());
    assertLaunchError(
        "RANK is \"2\", expected a whole number from 0 to 1.",
        Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
    assertLaunchError(
        "--distributed needs MASTER_ADDR, the host of rank 0 where the ranks meet, in the environment.",
        Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_LOCALID", "0"));
    assertLaunchError(
        "MASTER_PORT is \"http\", expected a whole number from 1 to 65535.",
        Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "http"));
  }

  @Test
  void theRendezvousPortStepsAsideFromTorchrunsOwnStore() {
    assumeGpus();
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "RANK",
                "0",
                "WORLD_SIZE",
                "1",
                "MASTER_ADDR",
                "127.0.0.1",
                "MASTER_PORT",
                "29600"));
    assertEquals(29600, DataParallelLaunch.of(1, true, "cuda", 4, env).rendezvousPort());
    env.put("TORCHELASTIC_USE_AGENT_STORE", "True");
    assertEquals(29601, DataParallelLaunch.of(1, true, "cuda", 4, env).rendezvousPort());
    env.put("LORAKIT_RENDEZVOUS_PORT", "40000");
    assertEquals(40000, DataParallelLaunch.of(1, true, "cuda", 4, env).rendezvousPort());
  }

  private static void assertLaunchError(String expected, Map<String, String> env) {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class, () -> DataParallelLaunch.of(1, true, "cuda", 4, env));
    assertEquals(expected, e.getMessage());
  }

  private static void assertError(String expected, String... more) {
    Path out = dir.resolve("refused");
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                run.model().toString(),
                "--data",
                run.data().toString(),
                "--task",
                "modality",
                "--out",
                out.toString(),
                "--batch-size",
                "2",
                "--max-steps",
                "1"));
    args.addAll(List.of(more));
    CliRun r = cli(args);
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().startsWith("lorakit train: " + expected), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out.resolve("training_log.jsonl")));
  }
}
