package dev.lorakit.cuda;

/**
 * A failure of the CUDA driver, cuBLAS or NVRTC, or a missing library. The message names the C
 * call, the library's error name and description, and the lorakit op that made the call.
 */
public final class CudaException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The driver's CUresult, or 0 when the failure did not come from the driver. */
  private final int driverResult;

  /** A failure described in one sentence. */
  public CudaException(String message) {
    this(0, message);
  }

  CudaException(int driverResult, String message) {
    super(message);
    this.driverResult = driverResult;
  }

  int driverResult() {
    return driverResult;
  }
}
