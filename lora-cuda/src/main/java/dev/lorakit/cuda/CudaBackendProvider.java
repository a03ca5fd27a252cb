package dev.lorakit.cuda;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds out whether the CUDA backend can run here and makes one. Registered as a {@link
 * BackendProvider}, so {@code --device cuda} and {@code --device auto} find it through {@code
 * Backends.select} without lora-core knowing this module.
 */
public final class CudaBackendProvider implements BackendProvider {

  /** Whether the backend can be created, and if not, why not (one sentence). */
  public record Availability(boolean available, String reason) {}

  /** {@code "cuda"}: the value of {@code --device} that selects this backend. */
  @Override
  public String name() {
    return "cuda";
  }

  /**
   * Checks for the driver library, a device of compute capability 8.0 or newer, cuBLAS and NVRTC,
   * without allocating GPU memory.
   */
  public Availability availability() {
    return availability(System.getenv());
  }

  @Override
  public Optional<String> unavailableReason() {
    Availability a = availability();
    return a.available() ? Optional.empty() : Optional.of(a.reason());
  }

  static Availability availability(Map<String, String> env) {
    List<String> tried = new ArrayList<>();
    var lib = NativeLibrary.open(CudaDriver.SONAMES, env, tried);
    if (lib.isEmpty()) {
      return new Availability(
          false,
          "no NVIDIA driver was found (libcuda.so.1 is not installed or not on the "
              + "library path).");
    }
    try {
      CudaDriver driver = new CudaDriver(lib.get(), new OpName());
      int rc = driver.init();
      if (rc != CudaDriver.CUDA_SUCCESS) {
        return new Availability(
            false, "the NVIDIA driver found no usable GPU (cuInit: " + driver.describe(rc) + ").");
      }
      int count = driver.deviceCount();
      if (count == 0) {
        return new Availability(false, "the NVIDIA driver reports no GPU on this machine.");
      }
      int dev = driver.device(0);
      int major = driver.attribute(dev, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
      int minor = driver.attribute(dev, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
      String name = driver.deviceName(dev);
      if (major < 8) {
        return new Availability(
            false,
            name
                + " has compute capability "
                + major
                + "."
                + minor
                + "; the CUDA backend needs 8.0 or newer.");
      }
      int version = driver.driverVersion();
      Optional<String> tooOld = CudaDriver.unsupported(version);
      if (tooOld.isPresent()) {
        return new Availability(false, tooOld.get());
      }
      for (var need :
          List.of(
              Map.entry("cuBLAS", CuBlas.sonames(version)),
              Map.entry("NVRTC", Nvrtc.sonames(version)))) {
        if (NativeLibrary.open(need.getValue(), env, new ArrayList<>()).isEmpty()) {
          return new Availability(
              false,
              "the GPU "
                  + name
                  + " is present but "
                  + need.getKey()
                  + " ("
                  + String.join(" or ", need.getValue())
                  + ") was not found; set LORAKIT_CUDA_LIB or "
                  + "CUDA_HOME to its folder.");
        }
      }
      return new Availability(true, name + " (compute capability " + major + "." + minor + ")");
    } catch (CudaException e) {
      return new Availability(false, e.getMessage());
    }
  }

  /**
   * A CUDA backend on device 0.
   *
   * @throws LorakitInputException with one sentence when the machine has no usable GPU (the device
   *     choice is the user's, so the CLI reports it like any other bad argument)
   */
  @Override
  public Backend create() {
    Availability a = availability();
    if (!a.available()) {
      throw new LorakitInputException("The CUDA backend is not available: " + a.reason());
    }
    return new CudaBackend();
  }
}
