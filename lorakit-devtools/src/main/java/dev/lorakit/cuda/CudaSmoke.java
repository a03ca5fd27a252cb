package dev.lorakit.cuda;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import java.util.ArrayList;
import java.util.List;

/**
 * A one-shot check of a GPU machine: prints the device, driver, cuBLAS and NVRTC versions and
 * memory, compiles every kernel, compares each op with the CPU backend (one row per op with its
 * error), and times one large bf16 matrix product. Exits with status 1 when a comparison fails, 2
 * when there is no usable GPU.
 */
public final class CudaSmoke {

  private CudaSmoke() {}

  public static void main(String[] args) {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      System.err.println("The CUDA backend is not available: " + a.reason());
      System.exit(2);
    }
    int failures = 0;
    try (CudaBackend gpu = new CudaBackend();
        CpuBackend cpu = new CpuBackend()) {
      long[] mem = gpu.memoryInfo();
      int dv = gpu.driverVersion();
      System.out.printf("device        %s%n", gpu.deviceName());
      System.out.printf("capability    %s%n", gpu.computeCapability());
      System.out.printf(
          "memory        %s free of %s%n",
          DeviceAllocator.human(mem[0]), DeviceAllocator.human(mem[1]));
      System.out.printf("driver API    %d.%d%n", dv / 1000, dv % 1000 / 10);
      System.out.printf("cuBLAS        %d (%s)%n", gpu.cublasVersion(), gpu.cublasLibrary());
      System.out.printf("NVRTC         %s%n", gpu.nvrtcVersion());
      long t0 = System.nanoTime();
      int compiled = gpu.loadAllKernels();
      System.out.printf(
          "kernels       %d files loaded in %.2f s (%d compiled by NVRTC, the rest from the cache)%n",
          KernelSources.FILES.size(), (System.nanoTime() - t0) / 1e9, compiled);
      System.out.println();
      System.out.printf("%-62s %12s %10s  %s%n", "op", "max error", "tolerance", "result");
      List<ParityChecks.Check> checks = new ArrayList<>(ParityChecks.all());
      checks.add(DeviceRandom.check());
      for (ParityChecks.Check check : checks) {
        String result;
        double err = Double.NaN;
        try {
          err = check.error(cpu, gpu);
          result = err <= check.tolerance() ? "ok" : "FAIL";
        } catch (RuntimeException e) {
          result = "FAIL: " + e.getMessage();
        }
        if (!result.equals("ok")) {
          failures++;
        }
        System.out.printf(
            "%-62s %12.3e %10.1e  %s%n", check.name(), err, check.tolerance(), result);
      }
      System.out.println();
      timeMatmul(gpu);
    }
    System.out.println(
        failures == 0 ? "all ops agree with the CPU backend" : failures + " op(s) FAILED");
    System.exit(failures == 0 ? 0 : 1);
  }

  private static void timeMatmul(CudaBackend gpu) {
    int n = 4096;
    Tensor a = gpu.zeros(DType.BF16, Shape.of(n, n));
    Tensor b = gpu.zeros(DType.BF16, Shape.of(n, n));
    Tensor c = gpu.zeros(DType.F32, Shape.of(n, n));
    gpu.fill(a, 0.01f);
    gpu.fill(b, 0.02f);
    gpu.matmul(a, false, b, true, c, 1f, 0f);
    gpu.synchronize();
    int reps = 10;
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      gpu.matmul(a, false, b, true, c, 1f, 0f);
    }
    gpu.synchronize();
    double s = (System.nanoTime() - t0) / 1e9 / reps;
    System.out.printf(
        "matmul bf16 %dx%dx%d: %.3f ms, %.1f TFLOP/s%n",
        n, n, n, s * 1e3, 2.0 * n * n * n / s / 1e12);
    a.close();
    b.close();
    c.close();
  }
}
