package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {

  @Test
  void withoutAGpuAvailabilityIsFalseAndCreateFailsWithOneSentence() {
    CudaBackendProvider p = new CudaBackendProvider();
    assertEquals("cuda", p.name());
    CudaBackendProvider.Availability a = p.availability();
    if (a.available()) {
      // On a GPU machine the other half of the contract holds instead: create() gives a working
      // backend.
      try (var backend = p.create()) {
        assertTrue(backend.name().startsWith("cuda ("), backend.name());
      }
      return;
    }
    assertFalse(a.reason().isBlank());
    LorakitInputException e = assertThrows(LorakitInputException.class, p::create);
    String m = e.getMessage();
    assertTrue(m.startsWith("The CUDA backend is not available: "), m);
    assertTrue(
        m.endsWith(".") && !m.contains("\n") && !m.matches("(?s).*\\.\\s+[A-Z].*"),
        "one sentence: " + m);
    System.err.println("No GPU here, as expected on a CPU machine: " + m);
  }

  @Test
  void aMissingDriverIsNamed() {
    // A library folder that holds nothing, and a soname no loader knows.
    List<String> tried = new ArrayList<>();
    var lib =
        NativeLibrary.open(
            List.of("liblorakit-no-such-driver.so.1"),
            Map.of("LORAKIT_CUDA_LIB", "/nonexistent"),
            tried);
    assertTrue(lib.isEmpty());
    assertEquals("/nonexistent/liblorakit-no-such-driver.so.1", tried.get(0));
    assertTrue(
        tried.contains("liblorakit-no-such-driver.so.1 via the dynamic loader"), tried.toString());
    CudaException e =
        assertThrows(
            CudaException.class,
            () ->
                NativeLibrary.require("a test library", List.of("liblorakit-no-such-driver.so.1")));
    assertTrue(
        e.getMessage()
            .startsWith("Could not load a test library (liblorakit-no-such-driver.so.1); tried "),
        e.getMessage());
  }

  @Test
  void librarySearchHonoursLorakitCudaLibThenCudaHome() {
    List<Path> folders =
        NativeLibrary.searchFolders(Map.of("LORAKIT_CUDA_LIB", "/opt/x", "CUDA_HOME", "/opt/cuda"));
    assertEquals(
        List.of(
            Path.of("/opt/x"),
            Path.of("/opt/cuda/lib64"),
            Path.of("/opt/cuda/targets/x86_64-linux/lib"),
            Path.of("/usr/local/cuda/lib64"),
            Path.of("/usr/local/cuda/targets/x86_64-linux/lib")),
        folders);
    assertEquals(
        List.of(
            Path.of("/usr/local/cuda/lib64"), Path.of("/usr/local/cuda/targets/x86_64-linux/lib")),
        NativeLibrary.searchFolders(Map.of()));
  }

  @Test
  void nvrtcOptionsNameTheArchitectureAndTheBf16HeaderFolderWhenThereIsOne() {
    List<String> opts = Kernels.compileOptions("sm_90", Map.of("CUDA_HOME", "/nonexistent"));
    assertEquals(
        List.of("--gpu-architecture=sm_90", "-default-device", "--std=c++17"), opts.subList(0, 3));
    boolean headerHere = Files.isRegularFile(Path.of("/usr/local/cuda/include/cuda_bf16.h"));
    assertEquals(headerHere, opts.contains("-I/usr/local/cuda/include"), opts.toString());
  }
}
