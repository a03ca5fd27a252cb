package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backend's kernels: each {@code .cu} file compiled by NVRTC for the device's architecture
 * (through the disk cache) the first time one of its entry points is needed, loaded as a module,
 * and launched with {@code cuLaunchKernel}. Kernel arguments are given as Java boxes: {@code
 * Integer} is a C {@code int}, {@code Long} a 64-bit integer or device pointer, {@code Float} a
 * {@code float}, {@code Double} a {@code double}.
 */
final class Kernels implements AutoCloseable {

  static final int THREADS = 256;

  /**
   * Grid-stride loops make any grid correct; this many blocks keep every SM of a large GPU busy.
   */
  static final int MAX_BLOCKS = 1 << 16;

  private final CudaDriver driver;
  private final Nvrtc nvrtc;
  private final KernelCache cache;
  private final String arch;
  private final List<String> options;
  private final String nvrtcVersion;
  private final Map<String, MemorySegment> modules = new HashMap<>();
  private final Map<String, MemorySegment> functions = new HashMap<>();
  private final Map<String, Long> launches = new HashMap<>();
  private final Map<String, long[]> parameterSizes = new HashMap<>();

  /** Kernel files besides the backend's own ({@link #addFile}). */
  private final List<KernelSources.KernelFile> addedFiles = new ArrayList<>();

  Kernels(CudaDriver driver, Nvrtc nvrtc, KernelCache cache, int ccMajor, int ccMinor) {
    this.driver = driver;
    this.nvrtc = nvrtc;
    this.cache = cache;
    this.arch = "sm_" + ccMajor + ccMinor;
    this.nvrtcVersion = nvrtc.version();
    this.options = compileOptions(arch, System.getenv());
  }

  /**
   * NVRTC options. The kernels need no CUDA header (16-bit floats are converted by hand), but the
   * folder with cuda_bf16.h is passed when there is one, so that kernels added later may include
   * it.
   */
  static List<String> compileOptions(String arch, Map<String, String> env) {
    List<String> opts =
        new ArrayList<>(List.of("--gpu-architecture=" + arch, "-default-device", "--std=c++17"));
    includeFolder(env).ifPresent(dir -> opts.add("-I" + dir));
    return List.copyOf(opts);
  }

  static Optional<Path> includeFolder(Map<String, String> env) {
    List<Path> candidates = new ArrayList<>();
    String home = env.get("CUDA_HOME");
    if (home != null && !home.isBlank()) {
      candidates.add(Path.of(home, "include"));
      candidates.add(Path.of(home, "targets", "x86_64-linux", "include"));
    }
    candidates.add(Path.of("/usr/local/cuda/include"));
    candidates.add(Path.of("/usr/local/cuda/targets/x86_64-linux/include"));
    return candidates.stream()
        .filter(p -> Files.isRegularFile(p.resolve("cuda_bf16.h")))
        .findFirst();
  }

  String arch() {
    return arch;
  }

  String nvrtcVersion() {
    return nvrtcVersion;
  }

  /**
   * Compiles (or fetches from the cache) and loads every kernel file; returns how many were
   * compiled anew. The files NVRTC must compile are compiled on several threads at once (they are
   * independent programs, and a cold start compiles every file, the flash-attention file alone for
   * seconds); the modules are loaded on this thread, whose context is current.
   */
  int loadAll() {
    List<KernelSources.KernelFile> missing =
        KernelSources.FILES.stream().filter(f -> !modules.containsKey(f.name())).toList();
    List<Image> images = missing.parallelStream().map(this::image).toList();
    int compiled = 0;
    for (int i = 0; i < missing.size(); i++) {
      if (load(missing.get(i), images.get(i))) {
        compiled++;
      }
    }
    return compiled;
  }

  /**
   * Makes the entry points of {@code file}, a kernel file on the class path that is not one of the
   * backend's own (a development tool's), launchable by name here.
   */
  void addFile(KernelSources.KernelFile file) {
    if (!addedFiles.contains(file)) {
      addedFiles.add(file);
    }
  }

  /** A file's module image, from the cache or compiled now, and its cache key. */
  private record Image(byte[] bytes, String key, boolean compiled) {}

  /** The image of {@code file}: the cached one, or compiled by NVRTC and cached. */
  private Image image(KernelSources.KernelFile file) {
    String source = KernelSources.source(file);
    String key = KernelCache.key(source, arch, nvrtcVersion, options);
    var cached = cache.get(file.name(), key);
    if (cached.isPresent()) {
      return new Image(cached.get(), key, false);
    }
    return compile(file, source, key);
  }

  private Image compile(KernelSources.KernelFile file, String source, String key) {
    byte[] image = nvrtc.compile(file.name() + ".cu", source, options);
    if (!cache.put(file.name(), key, image)) {
      System.err.println(
          "lorakit: could not write the kernel cache in "
              + cache.dir()
              + "; kernels will be compiled again next time.");
    }
    return new Image(image, key, true);
  }

  /** Loads one file's module; true when NVRTC had to compile it. */
  private boolean load(KernelSources.KernelFile file) {
    return load(file, image(file));
  }

  /**
   * Loads {@code image} as the module of {@code file}; a cached image the driver refuses is evicted
   * and compiled again. True when NVRTC compiled the module.
   */
  private boolean load(KernelSources.KernelFile file, Image image) {
    try {
      modules.put(file.name(), loadImage(image.bytes()));
      return image.compiled();
    } catch (CudaException e) {
      if (image.compiled()) {
        throw e;
      }
      cache.evict(file.name(), image.key());
    }
    Image fresh = compile(file, KernelSources.source(file), image.key());
    modules.put(file.name(), loadImage(fresh.bytes()));
    return true;
  }

  private MemorySegment loadImage(byte[] image) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment seg = a.allocate(image.length, 16);
      seg.copyFrom(MemorySegment.ofArray(image));
      return driver.moduleLoadData(seg);
    }
  }

  private MemorySegment function(String entryPoint) {
    MemorySegment f = functions.get(entryPoint);
    if (f == null) {
      KernelSources.KernelFile file =
          addedFiles.stream()
              .filter(a -> a.entryPoints().contains(entryPoint))
              .findFirst()
              .orElseGet(() -> KernelSources.fileOf(entryPoint));
      if (!modules.containsKey(file.name())) {
        load(file);
      }
      f = driver.moduleGetFunction(modules.get(file.name()), entryPoint);
      functions.put(entryPoint, f);
    }
    return f;
  }

  /** Blocks of {@link #THREADS} for a grid-stride loop over {@code n} elements. */
  static int blocksFor(long n) {
    return (int) Math.max(1, Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS));
  }

  /**
   * Launches {@code kernel} on a 1-D grid of {@code blocks} x {@link #THREADS}; no-op when blocks
   * is 0.
   */
  void launch(String kernel, MemorySegment stream, long blocks, Object... args) {
    launchGrid(kernel, stream, blocks, 1, 1, THREADS, args);
  }

  /**
   * Launches {@code kernel} on a {@code gridX x gridY x gridZ} grid of 1-D blocks of {@code
   * threads} (tiled kernels choose their own block shape); no-op when the grid is empty.
   */
  void launchGrid(
      String kernel,
      MemorySegment stream,
      long gridX,
      int gridY,
      int gridZ,
      int threads,
      Object... args) {
    if (gridX <= 0 || gridY <= 0 || gridZ <= 0) {
      return;
    }
    if (gridX > Integer.MAX_VALUE || gridY > 65535 || gridZ > 65535) {
      throw new IllegalArgumentException(
          kernel
              + ": a grid of "
              + gridX
              + "x"
              + gridY
              + "x"
              + gridZ
              + " blocks exceeds the device's limits.");
    }
    MemorySegment fn = function(kernel);
    checkArguments(kernel, fn, args);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment params = arguments(a, kernel, args);
      // cuLaunchKernel copies the argument values before it returns, so the arena may close right
      // after.
      driver.launchKernel(fn, (int) gridX, gridY, gridZ, threads, 1, 1, 0, stream, params, kernel);
    }
    launches.merge(kernel, 1L, Long::sum);
  }

  /** How many times each entry point has been launched, so tests can tell which path an op took. */
  Map<String, Long> launchCounts() {
    return Map.copyOf(launches);
  }

  /**
   * The {@code kernelParams} array for {@code args} (see the class comment for the Java types), in
   * {@code a}.
   */
  static MemorySegment arguments(Arena a, String kernel, Object... args) {
    MemorySegment params = a.allocate(ADDRESS, Math.max(1, args.length));
    for (int i = 0; i < args.length; i++) {
      MemorySegment value =
          switch (args[i]) {
            case Integer v -> a.allocateFrom(JAVA_INT, v);
            case Long v -> a.allocateFrom(JAVA_LONG, v);
            case Float v -> a.allocateFrom(JAVA_FLOAT, v);
            case Double v -> a.allocateFrom(JAVA_DOUBLE, v);
            case Byte v -> a.allocateFrom(JAVA_BYTE, v);
            default ->
                throw new IllegalArgumentException(
                    kernel
                        + ": argument "
                        + i
                        + " has unsupported type "
                        + args[i].getClass().getSimpleName()
                        + ".");
          };
      params.setAtIndex(ADDRESS, i, value);
    }
    return params;
  }

  /**
   * The driver reads each argument with the size the kernel declares, so a Java box of another size
   * (an Integer for a {@code long long}) would pass garbage without any error: refuse it here,
   * naming the parameter.
   */
  private void checkArguments(String kernel, MemorySegment fn, Object[] args) {
    long[] sizes = parameterSizes.computeIfAbsent(kernel, k -> driver.parameterSizes(fn));
    if (sizes == null) {
      return;
    }
    if (sizes.length != args.length) {
      throw new IllegalArgumentException(
          kernel + " takes " + sizes.length + " arguments, not " + args.length + ".");
    }
    for (int i = 0; i < args.length; i++) {
      long given =
          switch (args[i]) {
            case Integer v -> 4;
            case Long v -> 8;
            case Float v -> 4;
            case Double v -> 8;
            case Byte v -> 1;
            default -> -1;
          };
      if (given > 0 && given != sizes[i]) { // other types are refused when the arguments are packed
        throw new IllegalArgumentException(
            kernel
                + ": argument "
                + i
                + " is a "
                + args[i].getClass().getSimpleName()
                + " of "
                + given
                + " bytes, but the kernel's parameter "
                + i
                + " takes "
                + sizes[i]
                + " bytes.");
      }
    }
  }

  @Override
  public void close() {
    for (MemorySegment m : modules.values()) {
      driver.moduleUnload(m);
    }
    modules.clear();
    functions.clear();
    parameterSizes.clear();
  }
}
