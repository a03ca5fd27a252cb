package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {

  private static final List<String> OPTS = List.of("--gpu-architecture=sm_90", "-default-device");

  @Test
  void theKeyChangesWithSourceArchitectureCompilerAndOptions() {
    String k = KernelCache.key("src", "sm_90", "13.0", OPTS);
    assertEquals(64, k.length());
    assertEquals(k, KernelCache.key("src", "sm_90", "13.0", OPTS));
    assertNotEquals(k, KernelCache.key("src ", "sm_90", "13.0", OPTS));
    assertNotEquals(k, KernelCache.key("src", "sm_80", "13.0", OPTS));
    assertNotEquals(k, KernelCache.key("src", "sm_90", "12.9", OPTS));
    assertNotEquals(
        k, KernelCache.key("src", "sm_90", "13.0", List.of("--gpu-architecture=sm_90")));
    // Boundaries between the parts matter.
    assertNotEquals(KernelCache.key("ab", "c", "v", OPTS), KernelCache.key("a", "bc", "v", OPTS));
  }

  @Test
  void storedImagesReadBackAndLeaveNoTemporaryFiles(@TempDir Path dir) throws IOException {
    KernelCache cache = new KernelCache(dir.resolve("nested").resolve("kernels"));
    String key = KernelCache.key("x", "sm_90", "13.0", OPTS);
    assertTrue(cache.get("rope", key).isEmpty());
    byte[] image = {1, 2, 3, 4, 5};
    assertTrue(cache.put("rope", key, image));
    assertArrayEquals(image, cache.get("rope", key).orElseThrow());
    byte[] newer = {9, 9};
    assertTrue(cache.put("rope", key, newer));
    assertArrayEquals(newer, cache.get("rope", key).orElseThrow());
    try (Stream<Path> files = Files.list(dir.resolve("nested").resolve("kernels"))) {
      assertEquals(
          List.of("rope-" + key + ".cubin"), files.map(p -> p.getFileName().toString()).toList());
    }
    cache.evict("rope", key);
    assertTrue(cache.get("rope", key).isEmpty());
  }

  @Test
  void anUnwritableFolderIsReportedNotThrown(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("not-a-folder");
    Files.writeString(file, "x");
    KernelCache cache = new KernelCache(file.resolve("kernels"));
    assertFalse(cache.put("rope", "k", new byte[] {1}));
  }

  @Test
  void theFolderHonoursLorakitCache() {
    assertEquals(
        Path.of("/c/kernels"), KernelCache.defaultDir(Map.of("LORAKIT_CACHE", "/c"), "/home/u"));
    assertEquals(
        Path.of("/home/u/.cache/lorakit/kernels"), KernelCache.defaultDir(Map.of(), "/home/u"));
  }
}
