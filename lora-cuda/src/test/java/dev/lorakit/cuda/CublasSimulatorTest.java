package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.OpArguments;
import dev.lorakit.core.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA simulator's cuBLAS ({@code src/test/cudasim/cublas}), built with g++ exactly as the
 * simulator's build builds it: its own C++ check ({@code cublas/test/cublas_sim_test.cpp}) passes,
 * and lora-cuda's own binding, {@link CuBlas}, drives it through FFM with no GPU or driver. Needs
 * g++, not a GPU; skips visibly without g++.
 */
class CublasSimulatorTest {

  static final Path CUDASIM =
      Path.of(
          System.getProperty("lorakit.project.root", ".."), "lora-cuda", "src", "test", "cudasim");

  @TempDir static Path dir;
  static Path library;
  static String selfCheck;

  static Optional<Path> gxx() {
    List<Path> candidates = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty()) {
        candidates.add(Path.of(d, "g++"));
      }
    }
    candidates.add(Path.of("/usr/bin/g++"));
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  @BeforeAll
  static void build() throws Exception {
    Optional<Path> gxx = gxx();
    if (gxx.isEmpty()) {
      String reason = "Skipping the simulated cuBLAS: g++ is not on PATH nor in /usr/bin.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    Path sources = CUDASIM.resolve("cublas");
    assertTrue(Files.isDirectory(sources), "no simulator sources at " + sources.toAbsolutePath());
    List<String> lib =
        new ArrayList<>(
            List.of(
                gxx.get().toString(),
                "-std=c++17",
                "-O2",
                "-shared",
                "-fPIC",
                "-Wall",
                "-Wextra",
                "-I" + CUDASIM));
    try (Stream<Path> files = Files.list(sources)) {
      files.filter(p -> p.toString().endsWith(".cpp")).sorted().forEach(p -> lib.add(p.toString()));
    }
    library = dir.resolve("libcublas.so.13");
    lib.addAll(List.of("-o", library.toString()));
    Path check = dir.resolve("cublas_sim_test");
    List<String> test =
        List.of(
            gxx.get().toString(),
            "-std=c++17",
            "-O2",
            "-Wall",
            "-Wextra",
            sources.resolve("test/cublas_sim_test.cpp").toString(),
            "-o",
            check.toString(),
            "-ldl");
    Process libBuild = start(lib, dir.resolve("lib.log"));
    Process testBuild = start(test, dir.resolve("test.log"));
    finish(libBuild, dir.resolve("lib.log"), "building libcublas.so.13");
    finish(testBuild, dir.resolve("test.log"), "building cublas_sim_test");
    Process run = start(List.of(check.toString(), library.toString()), dir.resolve("run.log"));
    assertTrue(run.waitFor(120, TimeUnit.SECONDS), "cublas_sim_test did not finish in 2 minutes");
    selfCheck = Files.readString(dir.resolve("run.log"));
    assertEquals(0, run.exitValue(), "cublas_sim_test failed:\n" + selfCheck);
  }

  private static Process start(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void finish(Process p, Path log, String what) throws Exception {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), what + " did not finish in 2 minutes");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), what + " failed:\n" + out);
    assertTrue(out.isBlank(), what + " printed warnings:\n" + out);
  }

  @Test
  void theSimulatorsOwnCheckPasses() {
    assertTrue(selfCheck.matches("(?s).*cublas_sim_test: \\d+ checks passed\\s*"), selfCheck);
  }

  @Test
  void theHeaderAgreesWithTheBindingsAndTheToolkit() throws IOException {
    String sim = Files.readString(CUDASIM.resolve("cublas/cublas_sim.h"));
    for (String header : List.of("library_types.h", "cublas_api.h")) {
      for (var e : CudaHeaderConstantsTest.EXPECTED.get(header).entrySet()) {
        assertEquals(
            Optional.of((long) e.getValue()),
            CudaHeaderConstantsTest.valueIn(sim, e.getKey()),
            e.getKey() + " in cublas_sim.h");
      }
    }
    Optional<Path> toolkit = CudaHeaderConstantsTest.header("library_types.h");
    if (toolkit.isPresent()) { // present beside nvcc: every data type, not only the three bound
      String real = Files.readString(toolkit.get());
      var m = Pattern.compile("\\b(CUDA_[RC]_\\w+)\\s*=\\s*(\\d+)").matcher(sim);
      int n = 0;
      while (m.find()) {
        assertEquals(
            Optional.of(Long.parseLong(m.group(2))),
            CudaHeaderConstantsTest.valueIn(real, m.group(1)),
            m.group(1) + " in " + toolkit.get());
        n++;
      }
      assertTrue(n >= 30, "only " + n + " cudaDataType values in cublas_sim.h");
    } else {
      System.err.println(
          "The library_types.h comparison is skipped: the header is not installed here.");
    }
  }

  private static CuBlas open() {
    List<String> tried = new ArrayList<>();
    NativeLibrary lib =
        NativeLibrary.open(CuBlas.sonames(13000), Map.of("LORAKIT_CUDA_LIB", dir.toString()), tried)
            .orElseThrow(() -> new AssertionError("cannot open the simulated cuBLAS: " + tried));
    assertEquals("libcublas.so.13", lib.soname);
    assertEquals(Optional.of(dir), lib.folder());
    return new CuBlas(lib, new OpName(), MemorySegment.NULL);
  }

  @Test
  void theBindingDrivesRowMajorBatchedProductsThroughGemmPlan() {
    // The backend's matmul path on host memory: a [3, 5, 7] x shared [7, 4]^T ... as GemmPlan lays
    // it out.
    try (CuBlas blas = open();
        Arena arena = Arena.ofConfined()) {
      assertEquals(13, blas.version() / 10000, "cuBLAS version " + blas.version());
      Random rnd = new Random(5);
      int batch = 3, m = 5, k = 7, n = 4;
      float[] a = new float[batch * m * k];
      float[] b = new float[n * k]; // [n, k], used transposed and shared by the batch
      float[] c = new float[batch * m * n];
      for (float[] x : new float[][] {a, b, c}) {
        for (int i = 0; i < x.length; i++) {
          x[i] = rnd.nextFloat() * 2 - 1;
        }
      }
      MemorySegment da = arena.allocateFrom(JAVA_FLOAT, a);
      MemorySegment db = arena.allocateFrom(JAVA_FLOAT, b);
      MemorySegment dc = arena.allocateFrom(JAVA_FLOAT, c);
      GemmPlan plan =
          GemmPlan.of(
              OpArguments.matmul(
                  Shape.of(batch, m, k), false, Shape.of(n, k), true, Shape.of(batch, m, n)),
              false,
              true);
      assertEquals(0, plan.strideFirst(), "b is shared by the batch");
      blas.gemmStridedBatched(
          plan.transFirst() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N,
          plan.transSecond() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N,
          plan.m(),
          plan.n(),
          plan.k(),
          CuBlas.scalars(arena, 2f, 0.5f),
          db.address(),
          CuBlas.CUDA_R_32F,
          plan.ldFirst(),
          plan.strideFirst(),
          da.address(),
          CuBlas.CUDA_R_32F,
          plan.ldSecond(),
          plan.strideSecond(),
          dc.address(),
          CuBlas.CUDA_R_32F,
          plan.ldc(),
          plan.strideC(),
          plan.batch());
      float[] got = dc.toArray(JAVA_FLOAT);
      for (int p = 0; p < batch; p++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double s = 0;
            for (int q = 0; q < k; q++) {
              s += (double) a[(p * m + i) * k + q] * b[j * k + q];
            }
            int at = (p * m + i) * n + j;
            assertEquals(2 * s + 0.5 * c[at], got[at], 1e-5, "c[" + p + "][" + i + "][" + j + "]");
          }
        }
      }
    }
  }

  @Test
  void aRejectedCallNamesTheStatusAndTheOp() {
    try (CuBlas blas = open();
        Arena arena = Arena.ofConfined()) {
      MemorySegment x = arena.allocate(64);
      // lda 1 < m 2: INVALID_VALUE; the message carries cuBLAS's name and sentence for it.
      CudaException e =
          assertThrows(
              CudaException.class,
              () ->
                  blas.gemm(
                      CuBlas.CUBLAS_OP_N,
                      CuBlas.CUBLAS_OP_N,
                      2,
                      2,
                      2,
                      CuBlas.scalars(arena, 1f, 0f),
                      x.address(),
                      CuBlas.CUDA_R_32F,
                      1,
                      x.address(),
                      CuBlas.CUDA_R_32F,
                      2,
                      x.address(),
                      CuBlas.CUDA_R_32F,
                      2));
      assertTrue(
          e.getMessage().contains("CUBLAS_STATUS_INVALID_VALUE (an invalid numeric value"),
          e.getMessage());
      assertTrue(e.getMessage().contains("cublasGemmEx(m=2, n=2, k=2)"), e.getMessage());
      // bf16 operands into an f16 output: a combination cuBLAS does not support.
      e =
          assertThrows(
              CudaException.class,
              () ->
                  blas.gemm(
                      CuBlas.CUBLAS_OP_N,
                      CuBlas.CUBLAS_OP_N,
                      2,
                      2,
                      2,
                      CuBlas.scalars(arena, 1f, 0f),
                      x.address(),
                      CuBlas.CUDA_R_16BF,
                      2,
                      x.address(),
                      CuBlas.CUDA_R_16BF,
                      2,
                      x.address(),
                      CuBlas.CUDA_R_16F,
                      2));
      assertTrue(e.getMessage().contains("CUBLAS_STATUS_NOT_SUPPORTED"), e.getMessage());
    }
  }
}
