package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planted bugs that the GPU checks must catch: a missing barrier, an out-of-bounds write and a warp
 * collective that lanes never reach (which only the CUDA simulator is sure to show, so those run on
 * it alone), a kernel argument of the wrong type, launches beyond the device's limits and a compile
 * error (which a real GPU reports the same way); and the semantics the kernels rely on (warp
 * collectives, dynamic shared memory), which hold on a GPU too.
 */
class CudaSimulatorTest {

  private static final int CUDA_ERROR_INVALID_VALUE = 1;
  private static final int CUDA_ERROR_ILLEGAL_ADDRESS = 700;
  private static final int CUDA_ERROR_LAUNCH_FAILED = 719;

  /**
   * Each thread reads its right neighbour's element of a shared tile, with or without a barrier in
   * between.
   */
  private static final String ROTATE =
      """
            extern "C" __global__ void rotate(const float* in, float* out, int with_barrier) {
                __shared__ float tile[256];
                int t = threadIdx.x;
                tile[t] = in[blockIdx.x * 256 + t];
                if (with_barrier) {
                    __syncthreads();
                }
                out[blockIdx.x * 256 + t] = tile[(t + 1) % 256];
            }
            """;

  /** Reverses each block's 256 elements through dynamic shared memory. */
  private static final String REVERSE =
      """
            extern "C" __global__ void reverse(const float* in, float* out) {
                extern __shared__ float tile[];
                int t = threadIdx.x;
                tile[t] = in[blockIdx.x * 256 + t];
                __syncthreads();
                out[blockIdx.x * 256 + t] = tile[255 - t];
            }
            """;

  /** Writes out[at] from one thread. */
  private static final String STORE =
      """
            extern "C" __global__ void store_at(float* out, int at) {
                if (threadIdx.x == 0) {
                    out[at] = 1.0f;
                }
            }
            """;

  /** Lane 0 of each warp returns before the others shuffle with it. */
  private static final String EARLY_RETURN =
      """
            extern "C" __global__ void early_return(float* out) {
                if ((threadIdx.x & 31) == 0) {
                    return;
                }
                out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (float) threadIdx.x, 1);
            }
            """;

  /**
   * Every warp collective, with widths below 32 too; out[lane * 8 + k] is the k-th result of a
   * lane.
   */
  private static final String COLLECTIVES =
      """
            extern "C" __global__ void collectives(float* out) {
                int lane = threadIdx.x;
                float v = (float) (lane * lane);
                float* o = out + lane * 8;
                o[0] = __shfl_sync(0xffffffffu, v, 5);
                o[1] = __shfl_sync(0xffffffffu, v, lane + 3, 8);
                o[2] = __shfl_up_sync(0xffffffffu, v, 2, 16);
                o[3] = __shfl_down_sync(0xffffffffu, v, 3);
                o[4] = __shfl_xor_sync(0xffffffffu, v, 6);
                o[5] = (float) __popc(__ballot_sync(0xffffffffu, lane % 3 == 0));
                o[6] = (float) __any_sync(0xffffffffu, lane == 17) + 2.0f * __all_sync(0xffffffffu, lane < 31);
                o[7] = (float) __syncthreads_count(lane < 10);
            }
            """;

  private static final String BOUNDED =
      """
            extern "C" __global__ void __launch_bounds__(128) bounded(float* out) {
                out[threadIdx.x] = 1.0f;
            }
            """;

  /**
   * The driver with device 0's primary context current on this thread, and NVRTC; closing releases
   * the context.
   */
  static final class Device implements AutoCloseable {
    final CudaDriver driver =
        new CudaDriver(
            NativeLibrary.require("the NVIDIA CUDA driver", CudaDriver.SONAMES), new OpName());
    final Nvrtc nvrtc =
        new Nvrtc(NativeLibrary.require("NVRTC", Nvrtc.sonames(driver.driverVersion())));
    final int device;
    final int ccMajor;
    final int ccMinor;
    final String arch;

    Device() {
      assertEquals(CudaDriver.CUDA_SUCCESS, driver.init());
      device = driver.device(0);
      ccMajor = driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
      ccMinor = driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
      arch = "sm_" + ccMajor + ccMinor;
      driver.setCurrent(driver.primaryContextRetain(device));
    }

    MemorySegment function(String source, String name) {
      byte[] image = nvrtc.compile("planted.cu", source, Kernels.compileOptions(arch, Map.of()));
      try (Arena a = Arena.ofConfined()) {
        MemorySegment seg = a.allocate(image.length, 16);
        seg.copyFrom(MemorySegment.ofArray(image));
        return driver.moduleGetFunction(driver.moduleLoadData(seg), name);
      }
    }

    long upload(float[] values) {
      long p = driver.memAlloc(4L * values.length);
      try (Arena a = Arena.ofConfined()) {
        driver.copyHostToDevice(
            p, a.allocateFrom(JAVA_FLOAT, values), 4L * values.length, MemorySegment.NULL);
      }
      return p;
    }

    float[] download(long p, int n) {
      try (Arena a = Arena.ofConfined()) {
        MemorySegment host = a.allocate(JAVA_FLOAT, n);
        driver.copyDeviceToHost(host, p, 4L * n, MemorySegment.NULL);
        driver.streamSynchronize(MemorySegment.NULL);
        return host.toArray(JAVA_FLOAT);
      }
    }

    void launch(
        MemorySegment fn, String name, int blocks, int threads, int sharedBytes, Object... args) {
      try (Arena a = Arena.ofConfined()) {
        driver.launchKernel(
            fn,
            blocks,
            1,
            1,
            threads,
            1,
            1,
            sharedBytes,
            MemorySegment.NULL,
            Kernels.arguments(a, name, args),
            name);
      }
    }

    /**
     * Releasing the last reference destroys the context, its memory and any error it was left in.
     */
    @Override
    public void close() {
      driver.primaryContextRelease(device);
    }
  }

  @Test
  void aMissingBarrierGivesWrongResults() {
    Gpu.assumeSimulator("the missing-barrier check");
    int n = 4 * 256;
    float[] in = new float[n];
    float[] expected = new float[n];
    for (int i = 0; i < n; i++) {
      in[i] = i + 1;
    }
    for (int i = 0; i < n; i++) {
      expected[i] = in[i / 256 * 256 + (i % 256 + 1) % 256];
    }
    try (Device d = new Device()) {
      MemorySegment fn = d.function(ROTATE, "rotate");
      long src = d.upload(in);
      long dst = d.upload(new float[n]);
      d.launch(fn, "rotate", 4, 256, 0, src, dst, 1);
      assertArrayEquals(
          expected, d.download(dst, n), "with the barrier every thread sees its neighbour's write");
      d.launch(fn, "rotate", 4, 256, 0, src, dst, 0);
      float[] racy = d.download(dst, n);
      int wrong = 0;
      for (int i = 0; i < n; i++) {
        wrong += racy[i] == expected[i] ? 0 : 1;
      }
      System.out.println(
          "without the barrier " + wrong + " of " + n + " threads read a stale element");
      assertTrue(
          wrong > n / 10, "without the barrier only " + wrong + " of " + n + " reads were stale");
    }
  }

  @Test
  void dynamicSharedMemoryIsEachBlocksOwn() {
    Gpu.assumeKernels("the dynamic shared memory check");
    int n = 3 * 256;
    float[] in = new float[n];
    float[] expected = new float[n];
    for (int i = 0; i < n; i++) {
      in[i] = i;
      expected[i] = i / 256 * 256 + 255 - i % 256;
    }
    try (Device d = new Device()) {
      MemorySegment fn = d.function(REVERSE, "reverse");
      long src = d.upload(in);
      long dst = d.upload(new float[n]);
      d.launch(fn, "reverse", 3, 256, 256 * 4, src, dst);
      assertArrayEquals(expected, d.download(dst, n));
    }
  }

  @Test
  void theSimulatorCountsLaunchesAndTheLargestAllocation() {
    Gpu.assumeSimulator("the simulator's counters");
    try (Device d = new Device()) {
      MemorySegment fn = d.function(STORE, "store_at");
      Gpu.Counts.reset();
      long p = d.upload(new float[1000]);
      d.launch(fn, "store_at", 1, 32, 0, p, 3);
      d.launch(fn, "store_at", 1, 32, 0, p, 4);
      assertEquals(2, Gpu.Counts.launches("store_at"));
      assertEquals(0, Gpu.Counts.launches("rotate"));
      assertEquals(2, Gpu.Counts.launches(null));
      assertEquals(4000, Gpu.Counts.largestAllocation());
    }
  }

  @Test
  void anOutOfBoundsWriteFailsTheNextCallNamingTheKernel() {
    Gpu.assumeSimulator("the out-of-bounds check");
    try (Device d = new Device()) {
      MemorySegment fn = d.function(STORE, "store_at");
      long p = d.upload(new float[100]);
      d.launch(fn, "store_at", 1, 32, 0, p, 99);
      assertEquals(1.0f, d.download(p, 100)[99], "the last element is in bounds");
      d.launch(fn, "store_at", 1, 32, 0, p, 100);
      CudaException e = assertThrows(CudaException.class, () -> d.download(p, 100));
      System.err.println(e.getMessage());
      assertEquals(CUDA_ERROR_ILLEGAL_ADDRESS, e.driverResult(), e.getMessage());
      assertTrue(
          e.getMessage().contains("store_at")
              && e.getMessage().contains("past the end of a 400-byte"),
          e.getMessage());
    }
  }

  @Test
  void aWarpCollectiveThatLanesNeverReachFailsTheLaunch() {
    Gpu.assumeSimulator("the warp-collective check");
    try (Device d = new Device()) {
      MemorySegment fn = d.function(EARLY_RETURN, "early_return");
      long p = d.upload(new float[64]);
      d.launch(fn, "early_return", 1, 64, 0, p);
      CudaException e = assertThrows(CudaException.class, () -> d.download(p, 64));
      System.err.println(e.getMessage());
      assertEquals(CUDA_ERROR_LAUNCH_FAILED, e.driverResult(), e.getMessage());
      assertTrue(
          e.getMessage().contains("early_return") && e.getMessage().contains("already returned"),
          e.getMessage());
    }
  }

  @Test
  void anArgumentOfTheWrongTypeIsRefusedNamingTheParameter(@TempDir Path cache) {
    Gpu.assumeKernels("the kernel argument check");
    try (Device d = new Device();
        Kernels kernels =
            new Kernels(d.driver, d.nvrtc, new KernelCache(cache), d.ccMajor, d.ccMinor)) {
      long p = d.upload(new float[] {1, 2, 3});
      if (d.driver.parameterSizes(d.function(STORE, "store_at")) == null) {
        String reason =
            "Skipping the kernel argument check: this driver has no cuFuncGetParamInfo.";
        System.err.println(reason);
        org.junit.jupiter.api.Assumptions.assumeTrue(false, reason);
      }
      // scale_f32(float* x, float s, long long n): n given as an Integer is the planted mistake.
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> kernels.launch("scale_f32", MemorySegment.NULL, 1, p, 2.0f, 3));
      assertEquals(
          "scale_f32: argument 2 is a Integer of 4 bytes, but the kernel's parameter 2 takes 8 bytes.",
          e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> kernels.launch("scale_f32", MemorySegment.NULL, 1, p, 2.0f));
      kernels.launch("scale_f32", MemorySegment.NULL, 1, p, 2.0f, 3L);
      assertArrayEquals(new float[] {2, 4, 6}, d.download(p, 3));
    }
  }

  @Test
  void warpCollectivesFollowTheirDefinitions() {
    Gpu.assumeKernels("the warp collective check");
    float[] expected = new float[32 * 8];
    for (int lane = 0; lane < 32; lane++) {
      int base8 = lane / 8 * 8;
      int base16 = lane / 16 * 16;
      expected[lane * 8] = 25;
      expected[lane * 8 + 1] = square(base8 + (lane + 3) % 8);
      expected[lane * 8 + 2] = square(lane - 2 >= base16 ? lane - 2 : lane);
      expected[lane * 8 + 3] = square(lane + 3 < 32 ? lane + 3 : lane);
      expected[lane * 8 + 4] = square(lane ^ 6);
      expected[lane * 8 + 5] = 11;
      expected[lane * 8 + 6] = 1;
      expected[lane * 8 + 7] = 10;
    }
    try (Device d = new Device()) {
      MemorySegment fn = d.function(COLLECTIVES, "collectives");
      long p = d.upload(new float[32 * 8]);
      d.launch(fn, "collectives", 1, 32, 0, p);
      assertArrayEquals(expected, d.download(p, 32 * 8));
    }
  }

  private static float square(int x) {
    return x * x;
  }

  @Test
  void launchesBeyondTheDevicesLimitsAreRefusedAsTheDriverDoes() {
    Gpu.assumeKernels("the launch limit check");
    try (Device d = new Device()) {
      MemorySegment fn = d.function(BOUNDED, "bounded");
      long p = d.upload(new float[2048]);
      CudaException e =
          assertThrows(CudaException.class, () -> d.launch(fn, "bounded", 1, 2048, 0, p));
      assertEquals(
          CUDA_ERROR_INVALID_VALUE, e.driverResult(), "2048 threads per block: " + e.getMessage());
      assertTrue(e.getMessage().contains("block 2048x1x1"), e.getMessage());
      e = assertThrows(CudaException.class, () -> d.launch(fn, "bounded", 1, 256, 0, p));
      assertEquals(
          CUDA_ERROR_INVALID_VALUE,
          e.driverResult(),
          "over __launch_bounds__(128): " + e.getMessage());
      e = assertThrows(CudaException.class, () -> d.launch(fn, "bounded", 1, 128, 64 << 10, p));
      assertEquals(
          CUDA_ERROR_INVALID_VALUE,
          e.driverResult(),
          "64 KiB of dynamic shared memory without opting in: " + e.getMessage());
      d.launch(fn, "bounded", 1, 128, 0, p);
      assertEquals(1.0f, d.download(p, 128)[127]);
    }
  }

  @Test
  void aCompileErrorComesBackWithItsLine() {
    Gpu.assumeKernels("the compile error check");
    try (Device d = new Device()) {
      CudaException e =
          assertThrows(
              CudaException.class,
              () ->
                  d.function(
                      "extern \"C\" __global__ void broken(float* out) {\n    out[0] = undeclared;\n}\n",
                      "broken"));
      assertNotNull(e.getMessage());
      assertTrue(
          e.getMessage().contains("NVRTC_ERROR_COMPILATION")
              && e.getMessage().contains("planted.cu(2)"),
          e.getMessage());
    }
  }
}
