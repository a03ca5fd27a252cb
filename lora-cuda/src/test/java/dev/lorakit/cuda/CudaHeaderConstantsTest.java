package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The enum values the bindings pass to C equal those in the installed CUDA headers. Each header is
 * looked for in $CUDA_HOME/include and /usr/local/cuda(/targets/x86_64-linux)/include; a missing
 * header skips visibly.
 */
class CudaHeaderConstantsTest {

  static final Map<String, Map<String, Integer>> EXPECTED =
      Map.of(
          "cuda.h",
              Map.of(
                  "CUDA_SUCCESS", CudaDriver.CUDA_SUCCESS,
                  "CUDA_ERROR_OUT_OF_MEMORY", CudaDriver.CUDA_ERROR_OUT_OF_MEMORY,
                  "CUDA_ERROR_NOT_INITIALIZED", CudaDriver.CUDA_ERROR_NOT_INITIALIZED,
                  "CUDA_ERROR_NO_DEVICE", CudaDriver.CUDA_ERROR_NO_DEVICE,
                  "CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT",
                      CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                  "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR",
                      CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                  "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR",
                      CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                  "CU_STREAM_NON_BLOCKING", CudaDriver.CU_STREAM_NON_BLOCKING,
                  "CU_EVENT_DEFAULT", CudaDriver.CU_EVENT_DEFAULT),
          "library_types.h",
              Map.of(
                  "CUDA_R_32F", CuBlas.CUDA_R_32F,
                  "CUDA_R_16F", CuBlas.CUDA_R_16F,
                  "CUDA_R_16BF", CuBlas.CUDA_R_16BF),
          "cublas_api.h",
              Map.of(
                  "CUBLAS_STATUS_SUCCESS", CuBlas.CUBLAS_STATUS_SUCCESS,
                  "CUBLAS_OP_N", CuBlas.CUBLAS_OP_N,
                  "CUBLAS_OP_T", CuBlas.CUBLAS_OP_T,
                  "CUBLAS_DEFAULT_MATH", CuBlas.CUBLAS_DEFAULT_MATH,
                  "CUBLAS_PEDANTIC_MATH", CuBlas.CUBLAS_PEDANTIC_MATH,
                  "CUBLAS_COMPUTE_32F", CuBlas.CUBLAS_COMPUTE_32F,
                  "CUBLAS_COMPUTE_32F_PEDANTIC", CuBlas.CUBLAS_COMPUTE_32F_PEDANTIC,
                  "CUBLAS_GEMM_DEFAULT", CuBlas.CUBLAS_GEMM_DEFAULT),
          "nvrtc.h", Map.of("NVRTC_SUCCESS", Nvrtc.NVRTC_SUCCESS));

  static Optional<Path> header(String name) {
    List<Path> dirs = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home != null && !home.isBlank()) {
      dirs.add(Path.of(home, "include"));
    }
    dirs.add(Path.of("/usr/local/cuda/include"));
    dirs.add(Path.of("/usr/local/cuda/targets/x86_64-linux/include"));
    return dirs.stream().map(d -> d.resolve(name)).filter(Files::isRegularFile).findFirst();
  }

  /**
   * The value of enumerator or macro {@code name} in C source: {@code NAME = value} or {@code
   * #define NAME value}.
   */
  static Optional<Long> valueIn(String text, String name) {
    Matcher m =
        Pattern.compile(
                "(?m)(?:^\\s*#\\s*define\\s+"
                    + name
                    + "\\s+\\(?|\\b"
                    + name
                    + "\\s*=\\s*)\\(?\\s*(-?(?:0[xX][0-9a-fA-F]+|\\d+))")
            .matcher(text);
    if (!m.find()) {
      return Optional.empty();
    }
    String v = m.group(1);
    boolean negative = v.startsWith("-");
    String digits = negative ? v.substring(1) : v;
    long value =
        digits.toLowerCase().startsWith("0x")
            ? Long.parseLong(digits.substring(2), 16)
            : Long.parseLong(digits);
    return Optional.of(negative ? -value : value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cuda.h", "library_types.h", "cublas_api.h", "nvrtc.h"})
  void bindingConstantsEqualTheHeaderValues(String name) throws IOException {
    Optional<Path> header = header(name);
    if (header.isEmpty()) {
      String reason = "Skipping the " + name + " constant check: the header is not installed here.";
      System.err.println(reason);
      Assumptions.assumeTrue(false, reason);
    }
    String text = Files.readString(header.get());
    for (var e : EXPECTED.get(name).entrySet()) {
      Optional<Long> v = valueIn(text, e.getKey());
      assertTrue(v.isPresent(), e.getKey() + " is not defined in " + header.get());
      assertEquals((long) e.getValue(), v.get(), e.getKey() + " in " + header.get());
    }
  }

  @org.junit.jupiter.api.Test
  void theParserReadsEnumeratorsAndDefines() {
    String c =
        "typedef enum { A_X = 0x10, B_Y=-1, C_Z = 75, /* x */ } e;\n#define D_W (3)\n#define E_V 0x2\n";
    assertEquals(16L, valueIn(c, "A_X").orElseThrow());
    assertEquals(-1L, valueIn(c, "B_Y").orElseThrow());
    assertEquals(75L, valueIn(c, "C_Z").orElseThrow());
    assertEquals(3L, valueIn(c, "D_W").orElseThrow());
    assertEquals(2L, valueIn(c, "E_V").orElseThrow());
    assertTrue(valueIn(c, "A").isEmpty());
  }
}
