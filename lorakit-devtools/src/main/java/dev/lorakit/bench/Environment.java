package dev.lorakit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One line that says where and when a figure was taken: CPU, cores, JDK, load, date. */
final class Environment {

  private Environment() {}

  static String describe(int threads) {
    return String.format(
        Locale.ROOT,
        "Machine: %s, %d cores; JDK %s (%s); %d threads; load average %s; %s",
        cpuModel(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        threads,
        loadAverage(),
        ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
  }

  /**
   * Readies the environment of an external reference's process (numpy, torch) for {@code threads}
   * threads: the thread-count variables of OpenMP, OpenBLAS and MKL set, and a core type or cache
   * size forced on OpenBLAS removed, so that the reference runs at its best on this CPU (a machine
   * may set {@code OPENBLAS_CORETYPE=Haswell}, the AVX2 kernels, on an AVX-512 core).
   */
  static void forReference(Map<String, String> env, int threads) {
    for (String v : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")) {
      env.put(v, String.valueOf(threads));
    }
    env.remove("OPENBLAS_CORETYPE");
    env.remove("OPENBLAS_L2_SIZE");
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: fall through to the architecture.
    }
    return System.getProperty("os.arch");
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
