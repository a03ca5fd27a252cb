package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a CUDA backend starts and ends: what a failed construction gives back, which thread it
 * serves, which libraries it opens. Needs a GPU (or the CUDA simulator); skipped visibly without.
 */
class CudaBackendLifecycleTest {

  @ParameterizedTest
  @ValueSource(strings = {"cuBLAS", "NVRTC"})
  @SuppressWarnings("try") // closing inside the try is the point: close twice must be harmless
  void aLibraryThatCannotLoadFailsTheConstructorAndLeavesNoContextBehind(String missing) {
    Gpu.assumeAvailable("the failed-construction test");
    CudaException refusal = new CudaException("Could not load " + missing + " (test).");
    CudaBackend.LibraryLoader loader =
        (what, sonames) -> {
          if (what.equals(missing)) {
            throw refusal;
          }
          return NativeLibrary.require(what, sonames);
        };
    Optional<Boolean> activeBefore;
    try (CudaBackend probe = new CudaBackend()) {
      probe.close();
      activeBefore = probe.driver().primaryContextActive(probe.device());
    }
    if (activeBefore.orElse(false)) {
      String reason =
          "Skipping the failed-construction test: another backend holds the primary context.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    CudaException e = assertThrows(CudaException.class, () -> new CudaBackend(0, loader));
    assertSame(refusal, e, "the loader's error is the one reported");
    assertEquals(0, e.getSuppressed().length, "giving back the context and stream raised nothing");
    try (CudaBackend after = new CudaBackend()) {
      Optional<Boolean> held = after.driver().primaryContextActive(after.device());
      after.close();
      Optional<Boolean> activeAfter = after.driver().primaryContextActive(after.device());
      if (held.isPresent()) {
        assertTrue(held.get(), "a live backend holds the primary context");
        assertFalse(
            activeAfter.orElseThrow(), "the failed construction still holds the primary context");
      } else {
        System.err.println(
            "The driver cannot report the primary context's state; only the error is checked.");
      }
    }
  }

  @Test
  void synchronizeFromAnotherThreadMakesTheContextCurrentThere() throws Exception {
    Gpu.assumeAvailable("the cross-thread synchronize test");
    try (CudaBackend backend = new CudaBackend()) {
      Tensor t = backend.upload(new float[] {1, 2, 3}, DType.F32, Shape.of(3));
      MemorySegment current =
          CompletableFuture.supplyAsync(
                  () -> {
                    backend.synchronize();
                    return backend.driver().current().orElse(null);
                  })
              .get();
      if (current != null) {
        assertEquals(
            backend.context(), current, "the context synchronize() left current on its thread");
      } else {
        System.err.println(
            "The driver cannot report the current context; only the call is checked.");
      }
      assertEquals(2f, backend.download(t)[1]);
    }
  }

  @Test
  void theLibrariesAreOnesTheDriverCanRun() {
    Gpu.assumeAvailable("the library-choice test");
    try (CudaBackend backend = new CudaBackend()) {
      assertTrue(
          CuBlas.sonames(backend.driverVersion()).contains(backend.cublasLibrary()),
          backend.cublasLibrary() + " under driver " + backend.driverVersion());
      assertEquals(
          CuBlas.sonames(backend.driverVersion()).getFirst().replace("libcublas.so.", ""),
          backend.cublasLibrary().replace("libcublas.so.", ""),
          "the newest major the driver runs is preferred");
    }
  }

  /**
   * NVRTC's builtins, when they sit beside the NVRTC the backend opened, are loaded from there by
   * the backend.
   */
  @Test
  void nvrtcBuiltinsBesideNvrtcAreLoadedFromThatFolder() throws IOException {
    Gpu.assumeAvailable("the NVRTC builtins test");
    try (CudaBackend backend = new CudaBackend()) {
      Optional<Path> folder =
          NativeLibrary.open(
                  Nvrtc.sonames(backend.driverVersion()), System.getenv(), new ArrayList<>())
              .flatMap(NativeLibrary::folder);
      Path builtins = folder.map(f -> Nvrtc.builtins(f, backend.nvrtcVersion())).orElse(null);
      if (builtins == null || !Files.isRegularFile(builtins)) {
        String reason =
            "Skipping the NVRTC builtins test: NVRTC was found by the loader, or has no builtins "
                + "library beside it ("
                + builtins
                + ").";
        System.err.println(reason);
        Assumptions.assumeTrue(false, reason);
      }
      String maps = Files.readString(Path.of("/proc/self/maps"));
      assertTrue(maps.contains(builtins.toRealPath().toString()), builtins + " is not loaded");
    }
  }
}
