package dev.lorakit.core.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The innermost loops, on the widest float vectors the CPU has. */
final class VectorKernels {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /** For each halving step {@code h}: the shuffle that brings lane {@code i + h} to lane {@code i}. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int s = 0; s < steps; s++) {
            int h = F.length() >> (s + 1);
            shuffles[s] = VectorShuffle.fromOp(F, i -> (i + h) % F.length());
        }
        return shuffles;
    }

    /**
     * The lanes of {@code v} added as a fixed tree: lane i with lane i + len/2, then i + len/4, and so on.
     * {@code reduceLanes(ADD)} leaves the order to the implementation, and its interpreted and compiled forms differ in
     * the last bits, so one computation could give two answers depending on when the JIT got to it. Lane-wise adds of
     * rearranged lanes are exact IEEE operations in every form.
     */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> half : HALVES) {
            v = v.add(v.rearrange(half));
        }
        return v.lane(0);
    }

    /** {@code sum a[ao+i] * b[bo+i]} for {@code i < n}. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** {@code y[yo+i] += s * x[xo+i]} for {@code i < n}. */
    static void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(sv, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(s, x[xo + i], y[yo + i]);
        }
    }

    /** {@code y[yo+i] *= s} for {@code i < n}; {@code s == 0} writes zeros (so NaN garbage is cleared). */
    static void scale(float s, float[] y, int yo, int n) {
        if (s == 0f) {
            java.util.Arrays.fill(y, yo, yo + n, 0f);
            return;
        }
        if (s == 1f) {
            return;
        }
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, y, yo + i).mul(sv).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] *= s;
        }
    }
}
