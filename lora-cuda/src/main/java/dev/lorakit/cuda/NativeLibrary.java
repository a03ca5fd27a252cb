package dev.lorakit.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One opened shared library (libcuda, libcublas, libnvrtc) and the downcall handles bound from it.
 * The search order is: {@code $LORAKIT_CUDA_LIB} (a folder), {@code $CUDA_HOME/lib64} and {@code
 * targets/x86_64-linux/lib}, {@code /usr/local/cuda/lib64}, {@code
 * /usr/local/cuda/targets/x86_64-linux/lib}, then the plain soname through the dynamic loader's own
 * path and cache. Every folder is tried for one soname before the next soname, so a newer major
 * version ({@code .13}) wins over an older one ({@code .12}); which majors are tried at all depends
 * on the driver ({@link #sonamesFor}).
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
final class NativeLibrary {

  private static final Linker LINKER = Linker.nativeLinker();

  final String soname;
  private final SymbolLookup lookup;
  private final Path folder;

  private NativeLibrary(String soname, SymbolLookup lookup, Path folder) {
    this.soname = soname;
    this.lookup = lookup;
    this.folder = folder;
  }

  /** The folder the library was opened from; empty when the dynamic loader found it by soname. */
  Optional<Path> folder() {
    return Optional.ofNullable(folder);
  }

  /**
   * Loads {@code file} for the rest of the process, so that a library which later asks the loader
   * for it by soname (as NVRTC does for its builtins) gets this copy; false when there is no such
   * file or it does not load.
   */
  static boolean preload(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try {
      SymbolLookup.libraryLookup(file, Arena.global());
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The CUDA major versions whose libraries lorakit can use, newest first. */
  static final List<Integer> CUDA_MAJORS = List.of(13, 12);

  /**
   * The sonames of {@code stem} (e.g. {@code libcublas.so}) that a driver reporting {@code
   * driverVersion} ({@code cuDriverGetVersion}: 1000 * major + 10 * minor) can run, newest first. A
   * library needs a driver of at least its own major version, so a CUDA 12 driver gets only {@code
   * .12}, even where {@code .13} is installed beside it; a 13 driver runs either and prefers {@code
   * .13}. Empty for a driver older than 12.
   */
  static List<String> sonamesFor(String stem, int driverVersion) {
    int driverMajor = driverVersion / 1000;
    return CUDA_MAJORS.stream().filter(m -> m <= driverMajor).map(m -> stem + "." + m).toList();
  }

  /** The folders to look in, in order, for the given environment. */
  static List<Path> searchFolders(Map<String, String> env) {
    LinkedHashSet<Path> folders = new LinkedHashSet<>();
    String explicit = env.get("LORAKIT_CUDA_LIB");
    if (explicit != null && !explicit.isBlank()) {
      folders.add(Path.of(explicit));
    }
    String home = env.get("CUDA_HOME");
    if (home != null && !home.isBlank()) {
      folders.add(Path.of(home, "lib64"));
      folders.add(Path.of(home, "targets", "x86_64-linux", "lib"));
    }
    folders.add(Path.of("/usr/local/cuda/lib64"));
    folders.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
    return List.copyOf(folders);
  }

  /**
   * Opens the first of {@code sonames} found; the library stays loaded for the life of the process
   * (drivers do not like being unloaded). Returns empty, with every place tried appended to {@code
   * tried}, when none opens.
   */
  static Optional<NativeLibrary> open(
      List<String> sonames, Map<String, String> env, List<String> tried) {
    List<Path> folders = searchFolders(env);
    for (String soname : sonames) {
      for (Path folder : folders) {
        Path file = folder.resolve(soname);
        if (Files.exists(file)) {
          try {
            return Optional.of(
                new NativeLibrary(
                    soname, SymbolLookup.libraryLookup(file, Arena.global()), folder));
          } catch (IllegalArgumentException e) {
            tried.add(file + " (" + e.getMessage() + ")");
          }
        } else {
          tried.add(file.toString());
        }
      }
      try {
        // The loader's own search: LD_LIBRARY_PATH, the ld.so cache, the default folders.
        return Optional.of(
            new NativeLibrary(soname, SymbolLookup.libraryLookup(soname, Arena.global()), null));
      } catch (IllegalArgumentException e) {
        tried.add(soname + " via the dynamic loader");
      }
    }
    return Optional.empty();
  }

  /** Like {@link #open(List, Map, List)}, but fails with one sentence naming every place tried. */
  static NativeLibrary require(String what, List<String> sonames) {
    List<String> tried = new ArrayList<>();
    return open(sonames, System.getenv(), tried)
        .orElseThrow(
            () ->
                new CudaException(
                    "Could not load "
                        + what
                        + " ("
                        + String.join(" or ", sonames)
                        + "); tried "
                        + String.join(", ", tried)
                        + "; set LORAKIT_CUDA_LIB or CUDA_HOME to the folder that holds it."));
  }

  boolean has(String symbol) {
    return lookup.find(symbol).isPresent();
  }

  /** A handle for the first of {@code names} the library exports (newer versioned names first). */
  MethodHandle bind(FunctionDescriptor descriptor, String... names) {
    for (String name : names) {
      Optional<MemorySegment> symbol = lookup.find(name);
      if (symbol.isPresent()) {
        return LINKER.downcallHandle(symbol.get(), descriptor);
      }
    }
    throw new CudaException(
        soname
            + " does not export "
            + String.join(" or ", names)
            + "; it is older than lorakit needs.");
  }

  /** Like {@link #bind} but null when absent (optional conveniences such as status names). */
  MethodHandle bindOptional(FunctionDescriptor descriptor, String... names) {
    for (String name : names) {
      Optional<MemorySegment> symbol = lookup.find(name);
      if (symbol.isPresent()) {
        return LINKER.downcallHandle(symbol.get(), descriptor);
      }
    }
    return null;
  }
}
