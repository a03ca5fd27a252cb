package dev.lorakit.core.optim;

import dev.lorakit.core.LorakitInputException;

/**
 * The learning rate as a function of the number of optimizer steps already taken, as Hugging Face's
 * {@code get_*_schedule_with_warmup} define it: linear warmup from 0 over {@code warmup} steps,
 * then constant, linear decay to 0, or half a cosine to 0 at {@code total} steps.
 */
@FunctionalInterface
public interface LrSchedule {

  /** The learning rate for the update that follows {@code step} completed updates. */
  double at(int step);

  /** Warmup, then {@code peak}. */
  static LrSchedule constant(double peak, int warmup) {
    return step -> step < warmup ? peak * step / Math.max(1, warmup) : peak;
  }

  /** Warmup, then linear decay from {@code peak} to 0 at {@code total}. */
  static LrSchedule linear(double peak, int warmup, int total) {
    return step ->
        step < warmup
            ? peak * step / Math.max(1, warmup)
            : peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
  }

  /**
   * Warmup, then {@code peak * (1 + cos(pi * progress)) / 2} with progress from 0 to 1 at {@code
   * total}.
   */
  static LrSchedule cosine(double peak, int warmup, int total) {
    return step -> {
      if (step < warmup) {
        return peak * step / Math.max(1, warmup);
      }
      double progress = (double) (step - warmup) / Math.max(1, total - warmup);
      return peak * Math.max(0.0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    };
  }

  /** The schedule called {@code name}: {@code constant}, {@code linear} or {@code cosine}. */
  static LrSchedule named(String name, double peak, int warmup, int total) {
    return switch (name) {
      case "constant" -> constant(peak, warmup);
      case "linear" -> linear(peak, warmup, total);
      case "cosine" -> cosine(peak, warmup, total);
      default ->
          throw new LorakitInputException(
              "Unknown learning-rate schedule \""
                  + name
                  + "\"; expected constant, linear or cosine.");
    };
  }
}
