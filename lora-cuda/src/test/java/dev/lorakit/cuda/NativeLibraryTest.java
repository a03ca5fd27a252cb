package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which CUDA libraries are opened and how NVRTC's builtins are made findable; no GPU needed. */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
class NativeLibraryTest {

  @Test
  void theDriverVersionDecidesWhichLibraryMajorsAreTried() {
    assertEquals(List.of("libcublas.so.13", "libcublas.so.12"), CuBlas.sonames(13000));
    assertEquals(List.of("libnvrtc.so.13", "libnvrtc.so.12"), Nvrtc.sonames(13010));
    assertEquals(
        List.of("libcublas.so.13", "libcublas.so.12"), CuBlas.sonames(14000), "newest known first");
    // A CUDA 12 driver cannot run the 13 libraries, even when they are installed.
    assertEquals(List.of("libcublas.so.12"), CuBlas.sonames(12080));
    assertEquals(List.of("libnvrtc.so.12"), Nvrtc.sonames(12000));
    assertEquals(List.of(), CuBlas.sonames(11080));
  }

  @Test
  void aDriverOlderThanCuda12IsRefusedInOneSentence() {
    assertEquals(Optional.empty(), CudaDriver.unsupported(12000));
    assertEquals(Optional.empty(), CudaDriver.unsupported(13000));
    assertEquals(
        Optional.of(
            "The NVIDIA driver supports CUDA 11.8; lorakit needs a driver for CUDA 12.0 or newer."),
        CudaDriver.unsupported(11080));
  }

  @Test
  void nvrtcBuiltinsAreNamedByTheVersionNvrtcReports() {
    assertEquals(
        Path.of("/opt/cuda/lib/libnvrtc-builtins.so.13.0"),
        Nvrtc.builtins(Path.of("/opt/cuda/lib"), "13.0"));
    assertFalse(NativeLibrary.preload(Path.of("/nonexistent/libnvrtc-builtins.so.13.0")));
  }

  /**
   * What the preload is for: a library loaded from a folder outside the loader's path is afterwards
   * found by its soname alone (NVRTC asks for its builtins so). Builds a small shared object with
   * g++; skips visibly without.
   */
  @Test
  void aPreloadedLibraryIsFoundByItsSonameAfterwards(@TempDir Path dir) throws Exception {
    Optional<Path> gxx = CublasSimulatorTest.gxx();
    if (gxx.isEmpty()) {
      String reason = "Skipping the preload check: g++ is not on PATH nor in /usr/bin.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    String soname = "liblorakit-preload-probe.so.13.0";
    Path src =
        Files.writeString(
            dir.resolve("probe.c"), "int lorakit_preload_probe(void) { return 13; }\n");
    Path lib = dir.resolve(soname);
    Process p =
        new ProcessBuilder(
                gxx.get().toString(),
                "-x",
                "c",
                "-shared",
                "-fPIC",
                "-Wl,-soname," + soname,
                src.toString(),
                "-o",
                lib.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    assertTrue(NativeLibrary.preload(lib));
    SymbolLookup bySoname = SymbolLookup.libraryLookup(soname, Arena.global());
    assertTrue(bySoname.find("lorakit_preload_probe").isPresent());
  }
}
