package dev.lorakit.cuda;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;

/**
 * The Java mirror of {@code init.cu}: element {@code i} of a tensor drawn from {@code seed} is
 * {@code std * normal(seed, i)}, from a counter-based hash, so the GPU fills a 7B model's weights
 * without a file and a test can recompute any element on the CPU.
 */
final class RandomInit {

  private RandomInit() {}

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * The kernel against this mirror, as a parity check: on a {@link CudaBackend} the kernel fills a
   * bf16 and an f32 tensor; on any other backend the mirror computes the same numbers (the bf16
   * ones rounded).
   */
  static ParityChecks.Check check() {
    return new ParityChecks.Check(
        "random init (GPU kernel vs its Java mirror) bf16 and f32",
        1e-5,
        backend -> {
          int n = 10_007;
          if (backend instanceof CudaBackend gpu) {
            Tensor h = gpu.zeros(DType.BF16, Shape.of(n));
            Tensor f = gpu.zeros(DType.F32, Shape.of(n));
            DeviceRandom.fillNormal(gpu, h, 42, 0.02f);
            DeviceRandom.fillNormal(gpu, f, 43, 1f);
            float[] all = new float[2 * n];
            System.arraycopy(gpu.download(h), 0, all, 0, n);
            System.arraycopy(gpu.download(f), 0, all, n, n);
            h.close();
            f.close();
            return all;
          }
          float[] h = new float[n];
          float[] all = new float[2 * n];
          for (int i = 0; i < n; i++) {
            h[i] = 0.02f * normal(42, i);
            all[n + i] = normal(43, i);
          }
          System.arraycopy(ParityChecks.roundedToBf16(h), 0, all, 0, n);
          return all;
        });
  }

  /**
   * A standard normal draw (float arithmetic, as the kernel; the kernel's sqrt/log/cos may differ
   * by an ulp).
   */
  static float normal(long seed, long i) {
    long z = mix(seed + (i + 1) * 0x9e3779b97f4a7c15L);
    float u1 = (float) ((z >>> 40) + 1) * (1.0f / 16777216.0f);
    float u2 = (float) ((z >>> 16) & 0xffffffL) * (1.0f / 16777216.0f);
    return (float) Math.sqrt(-2.0f * (float) Math.log(u1))
        * (float) Math.cos(6.2831853071795864f * u2);
  }
}
