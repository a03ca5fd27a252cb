package dev.lorakit.cuda;

import org.junit.jupiter.api.Assumptions;

/** Skips a GPU test visibly (JUnit's report and a line on stderr) when this machine cannot run the CUDA backend. */
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
}
