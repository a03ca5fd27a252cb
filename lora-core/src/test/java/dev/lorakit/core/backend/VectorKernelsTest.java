package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VectorKernelsTest {

    /**
     * The dot product follows one documented order (per-lane fused multiply-adds, then a fixed tree over the lanes, then
     * the scalar tail), so its result does not depend on whether the JIT has compiled it yet. Values of mixed
     * magnitude make any other order show in the last bits.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 64, 100, 1000})
    void dotFollowsTheDocumentedOrder(int n) {
        Random rnd = new Random(n);
        float[] a = new float[n + 3];
        float[] b = new float[n + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        int lanes = VectorKernels.F.length();
        float[] acc = new float[lanes];
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            for (int l = 0; l < lanes; l++) {
                acc[l] = Math.fma(a[3 + i + l], b[5 + i + l], acc[l]);
            }
        }
        for (int width = lanes / 2; width >= 1; width /= 2) { // the documented tree over the lanes
            for (int l = 0; l < width; l++) {
                acc[l] += acc[l + width];
            }
        }
        float expected = acc[0];
        for (; i < n; i++) {
            expected += a[3 + i] * b[5 + i];
        }
        for (int repeat = 0; repeat < 20_000; repeat++) { // through the interpreter and both JIT tiers
            assertEquals(expected, VectorKernels.dot(a, 3, b, 5, n), 0f);
        }
    }
}
