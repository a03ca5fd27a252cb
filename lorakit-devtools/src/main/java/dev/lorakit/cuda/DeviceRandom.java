package dev.lorakit.cuda;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.util.List;

/**
 * Random tensors generated on the GPU by {@code init.cu} (a kernel file of these tools, not of the
 * backend): element {@code i} of a tensor drawn from {@code seed} is {@code std *
 * RandomInit.normal(seed, i)}. So a benchmark fills a 7B model's weights without a file, and a test
 * can recompute any element on the CPU.
 */
final class DeviceRandom {

  static final KernelSources.KernelFile INIT =
      new KernelSources.KernelFile("init", List.of("init_normal_bf16", "init_normal_f32"));

  private DeviceRandom() {}

  /** Fills an F32 or BF16 tensor of {@code gpu} with {@code std * RandomInit.normal(seed, i)}. */
  static void fillNormal(CudaBackend gpu, Tensor t, long seed, float std) {
    if (!(t instanceof CudaTensor c) || c.owner != gpu || c.dtype() == DType.F16) {
      throw new IllegalArgumentException(
          "fillNormal: an F32 or BF16 tensor of this backend, not " + t + ".");
    }
    gpu.kernels().addFile(INIT);
    gpu.kernels()
        .launch(
            c.dtype() == DType.BF16 ? "init_normal_bf16" : "init_normal_f32",
            gpu.stream(),
            Kernels.blocksFor(c.size()),
            c.pointer(),
            c.size(),
            seed,
            std);
  }
}
