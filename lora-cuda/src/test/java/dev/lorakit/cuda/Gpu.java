package dev.lorakit.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips a GPU test visibly (JUnit's report and a line on stderr) when this machine cannot run the CUDA backend, and
 * tells whether the "GPU" is the CUDA simulator of {@code src/test/cudasim} (built by the test build on machines
 * without an NVIDIA driver and named by {@code LORAKIT_CUDA_LIB}).
 */
final class Gpu {

    private Gpu() {
    }

    static void assumeAvailable(String test) {
        CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
        if (!a.available()) {
            String reason = "Skipping " + test + ": " + a.reason();
            System.err.println(reason);
            Assumptions.assumeTrue(false, reason);
        }
    }

    /** Whether {@code LORAKIT_CUDA_LIB} names the CUDA simulator's folder (its kernel prelude is beside the libraries). */
    static boolean simulated() {
        String lib = System.getenv("LORAKIT_CUDA_LIB");
        return lib != null && !lib.isBlank() && Files.isRegularFile(Path.of(lib, "include", "cudasim_prelude.h"));
    }

    /** Skips visibly unless the CUDA simulator is in use (for checks of the simulator itself). */
    static void assumeSimulator(String test) {
        assumeAvailable(test);
        if (!simulated()) {
            String reason = "Skipping " + test + ": it checks the CUDA simulator, and LORAKIT_CUDA_LIB does not name it.";
            System.err.println(reason);
            Assumptions.assumeTrue(false, reason);
        }
    }
}
