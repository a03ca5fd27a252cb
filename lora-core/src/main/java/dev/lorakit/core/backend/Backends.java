package dev.lorakit.core.backend;

import dev.lorakit.core.LorakitInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Chooses the backend a user asked for by device name: {@code cpu}, {@code cuda} (or any other
 * provider's name), or {@code auto}, which takes the first available non-CPU provider and otherwise
 * falls back to the CPU.
 */
public final class Backends {

  private Backends() {}

  /** The providers on the class path (the CPU's first). */
  public static List<BackendProvider> providers() {
    List<BackendProvider> out = new ArrayList<>();
    ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(out::add);
    if (out.stream().noneMatch(p -> p.name().equals("cpu"))) {
      out.add(new CpuBackendProvider());
    }
    out.sort((a, b) -> Boolean.compare(!a.name().equals("cpu"), !b.name().equals("cpu")));
    return out;
  }

  /**
   * The backend for {@code device}, from the class path's providers; {@code log} receives the one
   * line that says what {@code auto} fell back to.
   *
   * @throws LorakitInputException naming the device and why it cannot be used
   */
  public static Backend select(String device, Consumer<String> log) {
    return select(device, providers(), log);
  }

  /** {@link #select(String, Consumer)} among the given providers. */
  public static Backend select(
      String device, List<BackendProvider> providers, Consumer<String> log) {
    String name = device.toLowerCase(Locale.ROOT).strip();
    if (name.equals("auto")) {
      List<String> reasons = new ArrayList<>();
      for (BackendProvider p : providers) {
        if (p.name().equals("cpu")) {
          continue;
        }
        Optional<String> why = p.unavailableReason();
        if (why.isEmpty()) {
          return p.create();
        }
        reasons.add(p.name() + ": " + why.get());
      }
      log.accept(
          "Using the CPU"
              + (reasons.isEmpty()
                  ? " (no GPU backend is installed)."
                  : " (" + String.join("; ", reasons).replaceAll("\\.$", "") + ")."));
      return new CpuBackend();
    }
    for (BackendProvider p : providers) {
      if (p.name().equals(name)) {
        Optional<String> why = p.unavailableReason();
        if (why.isPresent()) {
          throw new LorakitInputException("The " + name + " device cannot be used: " + why.get());
        }
        return p.create();
      }
    }
    List<String> known = new ArrayList<>(providers.stream().map(BackendProvider::name).toList());
    known.add("auto");
    if (name.equals("cuda")) {
      throw new LorakitInputException(
          "The cuda device was asked for, but this lorakit has no CUDA backend "
              + "installed (lora-cuda is not on the class path); use the cpu or auto device.");
    }
    throw new LorakitInputException(
        "Unknown device \"" + device + "\"; expected one of " + String.join(", ", known) + ".");
  }
}
