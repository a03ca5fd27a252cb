package dev.lorakit.cuda;

/**
 * The Java mirror of {@code init.cu}: element {@code i} of a tensor drawn from {@code seed} is
 * {@code std * normal(seed, i)}, from a counter-based hash, so the GPU fills a 7B model's weights without a file
 * and a test can recompute any element on the CPU.
 */
final class RandomInit {

    private RandomInit() {
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A standard normal draw (float arithmetic, as the kernel; the kernel's sqrt/log/cos may differ by an ulp). */
    static float normal(long seed, long i) {
        long z = mix(seed + (i + 1) * 0x9e3779b97f4a7c15L);
        float u1 = (float) ((z >>> 40) + 1) * (1.0f / 16777216.0f);
        float u2 = (float) ((z >>> 16) & 0xffffffL) * (1.0f / 16777216.0f);
        return (float) Math.sqrt(-2.0f * (float) Math.log(u1)) * (float) Math.cos(6.2831853071795864f * u2);
    }
}
