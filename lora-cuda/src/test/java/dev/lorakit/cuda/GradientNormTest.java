package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.optim.GradClip;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradient clipping over many tensors waits for the device once, not once per tensor, and gets the
 * CPU's norm. Needs a GPU (or the CUDA simulator); skipped visibly without.
 */
class GradientNormTest {

  @Test
  void clippingManyGradientsReadsTheDeviceOnceAndMatchesTheCpu() {
    Gpu.assumeAvailable("the gradient-norm test");
    // Sizes from one element to several grid-stride blocks' worth, like LoRA A and B matrices of
    // all layers.
    int[] sizes = {1, 7, 256, 257, 4096, 70_000, 300_001};
    try (CudaBackend gpu = new CudaBackend();
        CpuBackend cpu = new CpuBackend(2)) {
      List<Parameter> onGpu = new ArrayList<>();
      List<Parameter> onCpu = new ArrayList<>();
      for (int i = 0; i < 42; i++) {
        int n = sizes[i % sizes.length];
        float[] g = ParityChecks.randoms(100 + i, n, 0.01 * (1 + i % 5));
        onGpu.add(
            new Parameter(
                "p" + i, gpu.zeros(DType.F32, Shape.of(n)), gpu.upload(g, DType.F32, Shape.of(n))));
        onCpu.add(
            new Parameter(
                "p" + i, cpu.zeros(DType.F32, Shape.of(n)), cpu.upload(g, DType.F32, Shape.of(n))));
      }
      List<Tensor> grads = onGpu.stream().map(Parameter::grad).toList();
      double oneByOne = 0;
      for (Tensor g : grads) {
        oneByOne += gpu.sumOfSquares(g);
      }
      assertEquals(
          oneByOne,
          gpu.sumOfSquares(grads),
          "the list sums tensors in order, as one at a time does");

      long reads = gpu.hostReads();
      double norm = GradClip.clip(gpu, onGpu, 0.5);
      assertEquals(
          1, gpu.hostReads() - reads, "device reads for clipping " + onGpu.size() + " gradients");
      double cpuNorm = GradClip.clip(cpu, onCpu, 0.5);
      assertEquals(cpuNorm, norm, 1e-12 * cpuNorm);
      for (int i = 0; i < onGpu.size(); i += 5) {
        float[] want = cpu.download(onCpu.get(i).grad());
        float[] got = gpu.download(onGpu.get(i).grad());
        for (int j = 0; j < want.length; j += 97) {
          assertEquals(
              want[j],
              got[j],
              1e-6f * Math.abs(want[j]) + 1e-12f,
              "clipped gradient " + i + "[" + j + "]");
        }
      }
      System.out.printf(
          "norm %.9f over %d gradients, clipped to 0.5 with one device read%n", norm, onGpu.size());
    }
  }
}
