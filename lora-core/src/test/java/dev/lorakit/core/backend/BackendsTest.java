package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendsTest {

  /** A GPU provider whose availability the test decides. */
  private record FakeGpu(String reason, Backend backend) implements BackendProvider {
    @Override
    public String name() {
      return "cuda";
    }

    @Override
    public Optional<String> unavailableReason() {
      return Optional.ofNullable(reason);
    }

    @Override
    public Backend create() {
      return backend;
    }
  }

  @Test
  void theCpuIsFoundThroughTheServiceLoader() {
    assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals("cpu")));
    try (Backend b = Backends.select("cpu", line -> {})) {
      assertInstanceOf(CpuBackend.class, b);
    }
  }

  @Test
  void cudaWithoutAProviderIsOneSentence() {
    var e =
        assertThrows(
            LorakitInputException.class,
            () -> Backends.select("cuda", List.of(new CpuBackendProvider()), line -> {}));
    assertTrue(e.getMessage().contains("no CUDA backend"), e.getMessage());
    var unavailable =
        assertThrows(
            LorakitInputException.class,
            () ->
                Backends.select(
                    "cuda",
                    List.of(
                        new CpuBackendProvider(), new FakeGpu("no NVIDIA driver was found.", null)),
                    line -> {}));
    assertEquals(
        "The cuda device cannot be used: no NVIDIA driver was found.", unavailable.getMessage());
    var unknown =
        assertThrows(LorakitInputException.class, () -> Backends.select("tpu", line -> {}));
    assertTrue(unknown.getMessage().contains("\"tpu\""), unknown.getMessage());
  }

  @Test
  void autoTakesAnAvailableGpuAndOtherwiseFallsBackWithOneLine() {
    List<String> log = new ArrayList<>();
    try (Backend cpu =
        Backends.select(
            "auto",
            List.of(new CpuBackendProvider(), new FakeGpu("no NVIDIA driver was found.", null)),
            log::add)) {
      assertInstanceOf(CpuBackend.class, cpu);
    }
    assertEquals(List.of("Using the CPU (cuda: no NVIDIA driver was found)."), log);
    try (Backend gpu = new CpuBackend(1)) {
      log.clear();
      assertSame(
          gpu,
          Backends.select(
              "AUTO", List.of(new CpuBackendProvider(), new FakeGpu(null, gpu)), log::add));
      assertEquals(List.of(), log);
    }
  }
}
