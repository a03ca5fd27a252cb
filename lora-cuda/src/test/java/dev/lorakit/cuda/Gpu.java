package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips a GPU test visibly (JUnit's report and a line on stderr) when this machine cannot run the
 * CUDA backend, and tells whether the "GPU" is the CUDA simulator of {@code src/test/cudasim}
 * (built by the test build on machines without an NVIDIA driver and named by {@code
 * LORAKIT_CUDA_LIB}).
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
final class Gpu {

  private Gpu() {}

  static void assumeAvailable(String test) {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      String reason = "Skipping " + test + ": " + a.reason();
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  /**
   * Whether {@code LORAKIT_CUDA_LIB} names the CUDA simulator's folder (its kernel prelude is
   * beside the libraries).
   */
  static boolean simulated() {
    String lib = System.getenv("LORAKIT_CUDA_LIB");
    return lib != null
        && !lib.isBlank()
        && Files.isRegularFile(Path.of(lib, "include", "cudasim_prelude.h"));
  }

  /**
   * Skips visibly unless there is a GPU or the simulator, with its driver and NVRTC (cuBLAS is not
   * needed).
   */
  static void assumeKernels(String test) {
    if (!simulated()) {
      assumeAvailable(test);
    }
  }

  /** Skips visibly unless the CUDA simulator is in use (for checks of the simulator itself). */
  static void assumeSimulator(String test) {
    if (!simulated()) {
      String reason =
          "Skipping "
              + test
              + ": it checks the CUDA simulator, and LORAKIT_CUDA_LIB does not name it.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
  }

  /**
   * What the simulated driver counted since the process started or {@link Counts#reset}: launches
   * per kernel and the largest allocation, so a test can assert which kernels an operation ran and
   * that it allocated nothing big. Only under the simulator ({@link #assumeSimulator} first).
   */
  static final class Counts {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup DRIVER =
        SymbolLookup.libraryLookup(
            Path.of(System.getenv("LORAKIT_CUDA_LIB"), "libcuda.so.1"), Arena.global());
    private static final MethodHandle LAUNCHES =
        handle("cudasimLaunchCount", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    private static final MethodHandle LARGEST =
        handle("cudasimLargestAllocation", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle RESET =
        handle("cudasimResetCounts", FunctionDescriptor.ofVoid());

    private Counts() {}

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
      return LINKER.downcallHandle(DRIVER.find(name).orElseThrow(), descriptor);
    }

    /** Launches of {@code kernel}; of every kernel when it is null. */
    static long launches(String kernel) {
      try (Arena a = Arena.ofConfined()) {
        MemorySegment name = kernel == null ? MemorySegment.NULL : a.allocateFrom(kernel);
        return (long) LAUNCHES.invokeExact(name);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    /** The largest single device allocation, in bytes. */
    static long largestAllocation() {
      try {
        return (long) LARGEST.invokeExact();
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    static void reset() {
      try {
        RESET.invokeExact();
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
  }
}
