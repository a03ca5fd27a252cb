package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CUDA driver API (libcuda.so.1), bound with the foreign-function API. Only the calls lorakit
 * needs; C signatures as in {@code cuda.h} ({@code CUdevice} is an int, {@code CUdeviceptr} a
 * 64-bit integer, handles are pointers). Versioned names ({@code _v2}) are the ones {@code cuda.h}
 * maps the plain names to.
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
final class CudaDriver {

  // Values from cuda.h; CudaHeaderConstantsTest checks them against the installed header.
  static final int CUDA_SUCCESS = 0;
  static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
  static final int CUDA_ERROR_NOT_INITIALIZED = 3;
  static final int CUDA_ERROR_NO_DEVICE = 100;
  static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
  static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
  static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
  static final int CU_STREAM_NON_BLOCKING = 0x1;
  static final int CU_EVENT_DEFAULT = 0x0;

  private static final FunctionDescriptor I_I = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
  private static final FunctionDescriptor I_P = FunctionDescriptor.of(JAVA_INT, ADDRESS);
  private static final FunctionDescriptor I_PP = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);

  private final OpName op;
  private final MethodHandle cuInit;
  private final MethodHandle cuDriverGetVersion;
  private final MethodHandle cuDeviceGet;
  private final MethodHandle cuDeviceGetCount;
  private final MethodHandle cuDeviceGetName;
  private final MethodHandle cuDeviceGetAttribute;
  private final MethodHandle cuDeviceTotalMem;
  private final MethodHandle cuDevicePrimaryCtxRetain;
  private final MethodHandle cuDevicePrimaryCtxRelease;
  private final MethodHandle cuCtxSetCurrent;
  // Queries only the tests use; optional, so a driver without them (the simulator's) still runs the
  // backend.
  private final MethodHandle cuCtxGetCurrent;
  private final MethodHandle cuDevicePrimaryCtxGetState;
  private final MethodHandle cuMemAlloc;
  private final MethodHandle cuMemFree;
  private final MethodHandle cuMemcpyHtoDAsync;
  private final MethodHandle cuMemcpyDtoHAsync;
  private final MethodHandle cuMemcpyDtoDAsync;
  private final MethodHandle cuMemsetD8Async;
  private final MethodHandle cuMemsetD16Async;
  private final MethodHandle cuMemsetD32Async;
  private final MethodHandle cuMemGetInfo;
  private final MethodHandle cuStreamCreate;
  private final MethodHandle cuStreamSynchronize;
  private final MethodHandle cuStreamDestroy;
  private final MethodHandle cuEventCreate;
  private final MethodHandle cuEventRecord;
  private final MethodHandle cuEventSynchronize;
  private final MethodHandle cuEventElapsedTime;
  private final MethodHandle cuEventDestroy;
  private final MethodHandle cuModuleLoadData;
  private final MethodHandle cuModuleGetFunction;
  private final MethodHandle cuModuleUnload;
  private final MethodHandle cuLaunchKernel;
  private final MethodHandle cuFuncGetParamInfo;
  private final MethodHandle cuGetErrorName;
  private final MethodHandle cuGetErrorString;

  /** The sonames tried for the driver; it ships with the kernel module, so there is only one. */
  static final List<String> SONAMES = List.of("libcuda.so.1", "libcuda.so");

  CudaDriver(NativeLibrary lib, OpName op) {
    this.op = op;
    cuInit = lib.bind(I_I, "cuInit");
    cuDriverGetVersion = lib.bind(I_P, "cuDriverGetVersion");
    cuDeviceGet = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceGet");
    cuDeviceGetCount = lib.bind(I_P, "cuDeviceGetCount");
    cuDeviceGetName =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
    cuDeviceGetAttribute =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetAttribute");
    cuDeviceTotalMem =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceTotalMem_v2");
    cuDevicePrimaryCtxRetain =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDevicePrimaryCtxRetain");
    cuDevicePrimaryCtxRelease =
        lib.bind(I_I, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
    cuCtxSetCurrent = lib.bind(I_P, "cuCtxSetCurrent");
    cuCtxGetCurrent = lib.bindOptional(I_P, "cuCtxGetCurrent");
    cuDevicePrimaryCtxGetState =
        lib.bindOptional(
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            "cuDevicePrimaryCtxGetState");
    cuMemAlloc = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
    cuMemFree = lib.bind(FunctionDescriptor.of(JAVA_INT, JAVA_LONG), "cuMemFree_v2");
    cuMemcpyHtoDAsync =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS),
            "cuMemcpyHtoDAsync_v2");
    cuMemcpyDtoHAsync =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
            "cuMemcpyDtoHAsync_v2");
    cuMemcpyDtoDAsync =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS),
            "cuMemcpyDtoDAsync_v2");
    cuMemsetD8Async =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS),
            "cuMemsetD8Async");
    cuMemsetD16Async =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ValueLayout.JAVA_SHORT, JAVA_LONG, ADDRESS),
            "cuMemsetD16Async");
    cuMemsetD32Async =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS),
            "cuMemsetD32Async");
    cuMemGetInfo = lib.bind(I_PP, "cuMemGetInfo_v2");
    cuStreamCreate = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuStreamCreate");
    cuStreamSynchronize = lib.bind(I_P, "cuStreamSynchronize");
    cuStreamDestroy = lib.bind(I_P, "cuStreamDestroy_v2");
    cuEventCreate = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuEventCreate");
    cuEventRecord = lib.bind(I_PP, "cuEventRecord");
    cuEventSynchronize = lib.bind(I_P, "cuEventSynchronize");
    // CUDA 12.8 added _v2 (and cuda.h 13 maps the plain name to it); older drivers have only the
    // plain one.
    cuEventElapsedTime =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
            "cuEventElapsedTime_v2",
            "cuEventElapsedTime");
    cuEventDestroy = lib.bind(I_P, "cuEventDestroy_v2");
    cuModuleLoadData = lib.bind(I_PP, "cuModuleLoadData");
    cuModuleGetFunction =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), "cuModuleGetFunction");
    cuModuleUnload = lib.bind(I_P, "cuModuleUnload");
    cuLaunchKernel =
        lib.bind(
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
            "cuLaunchKernel");
    // CUDA 12.4 on; without it kernel arguments go unchecked, as before.
    cuFuncGetParamInfo =
        lib.bindOptional(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS),
            "cuFuncGetParamInfo");
    cuGetErrorName = lib.bind(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
    cuGetErrorString =
        lib.bind(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorString");
  }

  // ---- errors
  // ------------------------------------------------------------------------------------------

  /** {@code "CUDA_ERROR_OUT_OF_MEMORY (out of memory)"} for a result code. */
  String describe(int result) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment p = arena.allocate(ADDRESS);
      String name =
          (int) cuGetErrorName.invokeExact(result, p) == CUDA_SUCCESS
              ? cString(p)
              : "CUresult " + result;
      String text =
          (int) cuGetErrorString.invokeExact(result, p) == CUDA_SUCCESS
              ? cString(p)
              : "unknown error";
      return name + " (" + text + ")";
    } catch (Throwable t) {
      return "CUresult " + result;
    }
  }

  static String cString(MemorySegment pointerToString) {
    MemorySegment s = pointerToString.get(ADDRESS, 0);
    return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(4096).getString(0);
  }

  void check(int result, String call) {
    if (result != CUDA_SUCCESS) {
      throw new CudaException(
          result, call + " failed with " + describe(result) + " in " + op.get() + ".");
    }
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  // ---- device and context
  // ------------------------------------------------------------------------------

  /**
   * {@code cuInit(0)}; returns the raw result so that "no device" can be told apart from real
   * failures.
   */
  int init() {
    try {
      return (int) cuInit.invokeExact(0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Why a driver reporting {@code version} cannot run lorakit (one sentence), or empty when it can:
   * the CUDA libraries lorakit loads need a driver for CUDA 12 or newer.
   */
  static Optional<String> unsupported(int version) {
    if (version >= NativeLibrary.CUDA_MAJORS.getLast() * 1000) {
      return Optional.empty();
    }
    return Optional.of(
        "The NVIDIA driver supports CUDA "
            + version / 1000
            + "."
            + version % 1000 / 10
            + "; lorakit needs a driver for CUDA "
            + NativeLibrary.CUDA_MAJORS.getLast()
            + ".0 or newer.");
  }

  /**
   * {@code cuDriverGetVersion}: 1000 * major + 10 * minor of the newest CUDA the driver supports.
   */
  int driverVersion() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check((int) cuDriverGetVersion.invokeExact(v), "cuDriverGetVersion");
      return v.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  int deviceCount() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment n = a.allocate(JAVA_INT);
      check((int) cuDeviceGetCount.invokeExact(n), "cuDeviceGetCount");
      return n.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  int device(int ordinal) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment d = a.allocate(JAVA_INT);
      check((int) cuDeviceGet.invokeExact(d, ordinal), "cuDeviceGet");
      return d.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  String deviceName(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment name = a.allocate(256);
      check((int) cuDeviceGetName.invokeExact(name, 256, device), "cuDeviceGetName");
      return name.getString(0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  int attribute(int device, int attribute) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check((int) cuDeviceGetAttribute.invokeExact(v, attribute, device), "cuDeviceGetAttribute");
      return v.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  long totalMemory(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_LONG);
      check((int) cuDeviceTotalMem.invokeExact(v, device), "cuDeviceTotalMem_v2");
      return v.get(JAVA_LONG, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  MemorySegment primaryContextRetain(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ctx = a.allocate(ADDRESS);
      check((int) cuDevicePrimaryCtxRetain.invokeExact(ctx, device), "cuDevicePrimaryCtxRetain");
      return ctx.get(ADDRESS, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void primaryContextRelease(int device) {
    try {
      check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** The calling thread's current context; empty when the driver cannot say. */
  Optional<MemorySegment> current() {
    if (cuCtxGetCurrent == null) {
      return Optional.empty();
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ctx = a.allocate(ADDRESS);
      check((int) cuCtxGetCurrent.invokeExact(ctx), "cuCtxGetCurrent");
      return Optional.of(ctx.get(ADDRESS, 0));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Whether the device's primary context is retained by anyone; empty when the driver cannot say.
   */
  Optional<Boolean> primaryContextActive(int device) {
    if (cuDevicePrimaryCtxGetState == null) {
      return Optional.empty();
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment flags = a.allocate(JAVA_INT);
      MemorySegment active = a.allocate(JAVA_INT);
      check(
          (int) cuDevicePrimaryCtxGetState.invokeExact(device, flags, active),
          "cuDevicePrimaryCtxGetState");
      return Optional.of(active.get(JAVA_INT, 0) != 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void setCurrent(MemorySegment context) {
    try {
      check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  // ---- memory
  // ------------------------------------------------------------------------------------------

  /**
   * {@code cuMemAlloc_v2}; a {@link CudaException} with {@link #CUDA_ERROR_OUT_OF_MEMORY} when
   * full.
   */
  long memAlloc(long bytes) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment p = a.allocate(JAVA_LONG);
      check((int) cuMemAlloc.invokeExact(p, bytes), "cuMemAlloc_v2");
      return p.get(JAVA_LONG, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void memFree(long pointer) {
    try {
      check((int) cuMemFree.invokeExact(pointer), "cuMemFree_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** {@code {free, total}} bytes on the current context's device. */
  long[] memInfo() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment free = a.allocate(JAVA_LONG);
      MemorySegment total = a.allocate(JAVA_LONG);
      check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
      return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void copyHostToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
    try {
      check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void copyDeviceToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
    try {
      check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void copyDeviceToDevice(long dst, long src, long bytes, MemorySegment stream) {
    try {
      check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void memsetD8(long dst, byte value, long count, MemorySegment stream) {
    try {
      check((int) cuMemsetD8Async.invokeExact(dst, value, count, stream), "cuMemsetD8Async");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void memsetD16(long dst, short value, long count, MemorySegment stream) {
    try {
      check((int) cuMemsetD16Async.invokeExact(dst, value, count, stream), "cuMemsetD16Async");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void memsetD32(long dst, int value, long count, MemorySegment stream) {
    try {
      check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  // ---- streams and events
  // ------------------------------------------------------------------------------

  MemorySegment streamCreate(int flags) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(ADDRESS);
      check((int) cuStreamCreate.invokeExact(s, flags), "cuStreamCreate");
      return s.get(ADDRESS, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void streamSynchronize(MemorySegment stream) {
    try {
      check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void streamDestroy(MemorySegment stream) {
    try {
      check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  MemorySegment eventCreate() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment e = a.allocate(ADDRESS);
      check((int) cuEventCreate.invokeExact(e, CU_EVENT_DEFAULT), "cuEventCreate");
      return e.get(ADDRESS, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void eventRecord(MemorySegment event, MemorySegment stream) {
    try {
      check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void eventSynchronize(MemorySegment event) {
    try {
      check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  float eventElapsedMillis(MemorySegment start, MemorySegment end) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ms = a.allocate(JAVA_FLOAT);
      check((int) cuEventElapsedTime.invokeExact(ms, start, end), "cuEventElapsedTime");
      return ms.get(JAVA_FLOAT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void eventDestroy(MemorySegment event) {
    try {
      check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  // ---- modules and launches
  // ----------------------------------------------------------------------------

  MemorySegment moduleLoadData(MemorySegment image) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment m = a.allocate(ADDRESS);
      check((int) cuModuleLoadData.invokeExact(m, image), "cuModuleLoadData");
      return m.get(ADDRESS, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  MemorySegment moduleGetFunction(MemorySegment module, String name) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment f = a.allocate(ADDRESS);
      int rc = (int) cuModuleGetFunction.invokeExact(f, module, a.allocateFrom(name));
      if (rc != CUDA_SUCCESS) {
        throw new CudaException(
            "cuModuleGetFunction found no kernel " + name + ": " + describe(rc) + ".");
      }
      return f.get(ADDRESS, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void moduleUnload(MemorySegment module) {
    try {
      check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * The size in bytes of each parameter of {@code function}, from its own signature ({@code
   * cuFuncGetParamInfo}); null when the driver predates that call.
   */
  long[] parameterSizes(MemorySegment function) {
    if (cuFuncGetParamInfo == null) {
      return null;
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment offset = a.allocate(JAVA_LONG);
      MemorySegment size = a.allocate(JAVA_LONG);
      List<Long> sizes = new ArrayList<>();
      // The driver answers CUDA_ERROR_INVALID_VALUE for the first index past the last parameter.
      while ((int) cuFuncGetParamInfo.invokeExact(function, (long) sizes.size(), offset, size)
          == CUDA_SUCCESS) {
        sizes.add(size.get(JAVA_LONG, 0));
      }
      return sizes.stream().mapToLong(Long::longValue).toArray();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  void launchKernel(
      MemorySegment function,
      int gridX,
      int gridY,
      int gridZ,
      int blockX,
      int blockY,
      int blockZ,
      int sharedBytes,
      MemorySegment stream,
      MemorySegment params,
      String kernel) {
    try {
      int rc =
          (int)
              cuLaunchKernel.invokeExact(
                  function,
                  gridX,
                  gridY,
                  gridZ,
                  blockX,
                  blockY,
                  blockZ,
                  sharedBytes,
                  stream,
                  params,
                  MemorySegment.NULL);
      check(
          rc,
          "cuLaunchKernel("
              + kernel
              + ", grid "
              + gridX
              + "x"
              + gridY
              + "x"
              + gridZ
              + ", block "
              + blockX
              + "x"
              + blockY
              + "x"
              + blockZ
              + ")");
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
