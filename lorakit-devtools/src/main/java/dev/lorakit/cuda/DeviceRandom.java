package dev.lorakit.cuda;

import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import java.util.List;

/**
 * {@link RandomWeights} drawn on the GPU by {@code init.cu} (a kernel file of these tools, not of
 * the backend): the same arithmetic, so a benchmark fills a 7B model's weights without a file or a
 * host copy, with the values the Java code and {@code make-random-model} compute.
 */
final class DeviceRandom {

  static final KernelSources.KernelFile INIT =
      new KernelSources.KernelFile("init", List.of("init_uniform_bf16", "init_uniform_f32"));

  private DeviceRandom() {}

  /** A new tensor of {@code gpu} holding {@code draw}'s values as {@code dtype} (F32 or BF16). */
  static Tensor draw(CudaBackend gpu, RandomWeights.Draw draw, DType dtype) {
    Tensor t = gpu.zeros(dtype, draw.tensorShape());
    fill(gpu, t, draw);
    return t;
  }

  /** Fills an F32 or BF16 tensor of {@code gpu} with {@code draw}'s values. */
  static void fill(CudaBackend gpu, Tensor t, RandomWeights.Draw draw) {
    if (!(t instanceof CudaTensor c)
        || c.owner != gpu
        || c.dtype() == DType.F16
        || c.size() != draw.count()) {
      throw new IllegalArgumentException(
          "fill: an F32 or BF16 tensor of this backend of " + draw.count() + " elements, not " + t);
    }
    gpu.kernels().addFile(INIT);
    gpu.kernels()
        .launch(
            c.dtype() == DType.BF16 ? "init_uniform_bf16" : "init_uniform_f32",
            gpu.stream(),
            Kernels.blocksFor(c.size()),
            c.pointer(),
            c.size(),
            draw.seed(),
            draw.stream(),
            draw.offset(),
            draw.scale());
  }

  /**
   * The kernel against {@link RandomWeights}, as a parity check that must hold bit for bit: on a
   * {@link CudaBackend} the kernel fills a bf16 matrix and an f32 norm; on any other backend the
   * Java code computes the same numbers (the bf16 ones rounded).
   */
  static ParityChecks.Check check() {
    RandomWeights.Draw matrix =
        new RandomWeights.Draw("m", 42, 3, RandomWeights.Kind.PROJECTION, 97, 103, 0, 0.05);
    RandomWeights.Draw norm =
        new RandomWeights.Draw("n", -7, 1L << 40, RandomWeights.Kind.NORM, 1, 10_007, 1, 0.1);
    return new ParityChecks.Check(
        "random weights (GPU kernel vs RandomWeights) bf16 and f32",
        0,
        backend -> {
          float[] m;
          float[] n;
          if (backend instanceof CudaBackend gpu) {
            try (Tensor h = draw(gpu, matrix, DType.BF16);
                Tensor f = draw(gpu, norm, DType.F32)) {
              m = gpu.download(h);
              n = gpu.download(f);
            }
          } else {
            m = ParityChecks.roundedToBf16(matrix.values());
            n = norm.values();
          }
          float[] all = new float[m.length + n.length];
          System.arraycopy(m, 0, all, 0, m.length);
          System.arraycopy(n, 0, all, m.length, n.length);
          return all;
        });
  }
}
