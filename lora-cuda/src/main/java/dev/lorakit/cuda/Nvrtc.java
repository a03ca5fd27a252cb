package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * NVRTC (libnvrtc.so.13, else .12, as the driver allows): compiles CUDA C++ source to a CUBIN for
 * one real architecture, which the driver loads without a further JIT step. It needs no GPU, only
 * the library.
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
final class Nvrtc {

  /**
   * The sonames to try under a driver of {@code driverVersion} (see {@link
   * NativeLibrary#sonamesFor}).
   */
  static List<String> sonames(int driverVersion) {
    return NativeLibrary.sonamesFor("libnvrtc.so", driverVersion);
  }

  static final int NVRTC_SUCCESS = 0;

  private final MethodHandle version;
  private final MethodHandle createProgram;
  private final MethodHandle compileProgram;
  private final MethodHandle getCubinSize;
  private final MethodHandle getCubin;
  private final MethodHandle getLogSize;
  private final MethodHandle getLog;
  private final MethodHandle destroyProgram;
  private final MethodHandle errorString;
  private final String versionText;

  Nvrtc(NativeLibrary lib) {
    version = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcVersion");
    // nvrtcCreateProgram(prog*, src, name, numHeaders, headers, includeNames)
    createProgram =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
            "nvrtcCreateProgram");
    compileProgram =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), "nvrtcCompileProgram");
    getCubinSize = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcGetCUBINSize");
    getCubin = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcGetCUBIN");
    getLogSize =
        lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcGetProgramLogSize");
    getLog = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcGetProgramLog");
    destroyProgram = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcDestroyProgram");
    errorString = lib.bind(FunctionDescriptor.of(ADDRESS, JAVA_INT), "nvrtcGetErrorString");
    versionText = queryVersion();
    // NVRTC dlopen()s libnvrtc-builtins.so.<major>.<minor> by soname on its first compile; from a
    // folder outside
    // the loader's path (LORAKIT_CUDA_LIB, CUDA_HOME) that fails with
    // NVRTC_ERROR_BUILTIN_OPERATION_FAILURE.
    // Loaded here first, from the same folder, the loader hands NVRTC this copy.
    lib.folder().ifPresent(folder -> NativeLibrary.preload(builtins(folder, versionText)));
  }

  /** The builtins library NVRTC {@code version} ("13.0") loads, in {@code folder}. */
  static Path builtins(Path folder, String version) {
    return folder.resolve("libnvrtc-builtins.so." + version);
  }

  private String describe(int result) {
    try {
      return ((MemorySegment) errorString.invokeExact(result)).reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "nvrtcResult " + result;
    }
  }

  private void check(int result, String call, String what) {
    if (result != NVRTC_SUCCESS) {
      throw new CudaException(call + " failed with " + describe(result) + " for " + what + ".");
    }
  }

  /** {@code "13.0"}. */
  String version() {
    return versionText;
  }

  private String queryVersion() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment major = a.allocate(JAVA_INT);
      MemorySegment minor = a.allocate(JAVA_INT);
      check((int) version.invokeExact(major, minor), "nvrtcVersion", "the version query");
      return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  /**
   * Compiles {@code source} (named {@code name} in messages) with {@code options}; returns the
   * CUBIN.
   */
  byte[] compile(String name, String source, List<String> options) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment prog = a.allocate(ADDRESS);
      check(
          (int)
              createProgram.invokeExact(
                  prog,
                  a.allocateFrom(source),
                  a.allocateFrom(name),
                  0,
                  MemorySegment.NULL,
                  MemorySegment.NULL),
          "nvrtcCreateProgram",
          name);
      MemorySegment program = prog.get(ADDRESS, 0);
      try {
        MemorySegment opts = a.allocate(ADDRESS, options.size());
        for (int i = 0; i < options.size(); i++) {
          opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
        }
        int rc = (int) compileProgram.invokeExact(program, options.size(), opts);
        if (rc != NVRTC_SUCCESS) {
          throw new CudaException(
              "nvrtcCompileProgram failed with "
                  + describe(rc)
                  + " for "
                  + name
                  + " (options "
                  + String.join(" ", options)
                  + "):\n"
                  + log(a, program));
        }
        MemorySegment size = a.allocate(JAVA_LONG);
        check((int) getCubinSize.invokeExact(program, size), "nvrtcGetCUBINSize", name);
        MemorySegment cubin = a.allocate(size.get(JAVA_LONG, 0));
        check((int) getCubin.invokeExact(program, cubin), "nvrtcGetCUBIN", name);
        return cubin.toArray(ValueLayout.JAVA_BYTE);
      } finally {
        int ignored = (int) destroyProgram.invokeExact(prog);
      }
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  private String log(Arena a, MemorySegment program) throws Throwable {
    MemorySegment size = a.allocate(JAVA_LONG);
    if ((int) getLogSize.invokeExact(program, size) != NVRTC_SUCCESS) {
      return "(no log)";
    }
    MemorySegment text = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
    if ((int) getLog.invokeExact(program, text) != NVRTC_SUCCESS) {
      return "(no log)";
    }
    return text.getString(0);
  }
}
