package dev.lorakit.cuda;

/**
 * Release steps that must all run even when some fail. The first failure is the one reported
 * (thrown by {@link #finish}); later ones are attached to it as suppressed, because a failing step
 * is often the consequence of the first error (a context broken by a bad kernel fails every call
 * after it) and must not hide it.
 */
final class Cleanup {

  private Throwable first;

  /** Nothing has failed yet. */
  Cleanup() {}

  /** Cleaning up after {@code cause}, which stays the reported error. */
  Cleanup(Throwable cause) {
    first = cause;
  }

  /** Runs {@code step}; a failure is kept, not thrown. */
  void run(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException | Error e) {
      if (first == null) {
        first = e;
      } else if (first != e) {
        first.addSuppressed(e);
      }
    }
  }

  /** Throws the first failure, if any, with the later ones suppressed in it. */
  void finish() {
    if (first instanceof RuntimeException r) {
      throw r;
    }
    if (first instanceof Error e) {
      throw e;
    }
  }
}
