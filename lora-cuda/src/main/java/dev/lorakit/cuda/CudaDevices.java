package dev.lorakit.cuda;

/** How many CUDA devices this machine has, for a caller choosing how many to train on. */
public final class CudaDevices {

  private CudaDevices() {}

  /**
   * The number of CUDA devices the driver reports.
   *
   * @throws CudaException when the driver cannot be loaded or initialised
   */
  public static int count() {
    CudaDriver driver =
        new CudaDriver(
            NativeLibrary.require("the NVIDIA CUDA driver", CudaDriver.SONAMES), new OpName());
    int rc = driver.init();
    if (rc != CudaDriver.CUDA_SUCCESS) {
      throw new CudaException(
          rc, "cuInit failed with " + driver.describe(rc) + ": no usable NVIDIA GPU.");
    }
    return driver.deviceCount();
  }
}
