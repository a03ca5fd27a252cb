package dev.lorakit.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request to stop training at the next step boundary. {@link #onInterrupt} asks for it on Ctrl-C
 * (a shutdown hook) and holds the JVM until the run has written its checkpoint; tests call {@link
 * #request} directly. Always used in try-with-resources: {@link #close} lets a pending exit
 * proceed, whatever ended the run (an exception included), so that an exit never waits for a run
 * that is over.
 */
class StopSignal implements AutoCloseable { // not final: a test stops at a chosen step

  private final AtomicBoolean requested = new AtomicBoolean();
  private final CountDownLatch settled = new CountDownLatch(1);
  private Thread hook;

  /** A signal nothing will raise unless {@link #request} is called. */
  static StopSignal manual() {
    return new StopSignal();
  }

  /**
   * A signal raised by Ctrl-C (SIGINT) or SIGTERM; the hook waits up to 10 minutes for the step to
   * end.
   */
  static StopSignal onInterrupt() {
    StopSignal s = new StopSignal();
    Thread hook =
        new Thread(
            () -> {
              s.request();
              try {
                s.settled.await(10, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "lorakit-stop");
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      s.hook = hook;
    } catch (IllegalStateException shuttingDown) {
      s.request(); // Ctrl-C came before the hook: stop at once
    }
    return s;
  }

  void request() {
    requested.set(true);
  }

  boolean requested() {
    return requested.get();
  }

  /** Whether the JVM is exiting (Ctrl-C or SIGTERM), not just a test's request. */
  boolean exiting() {
    return hook != null && requested.get();
  }

  /**
   * The run is over (finished, stopped with its checkpoint written, or failed): an exit may
   * proceed.
   */
  @Override
  public void close() {
    settled.countDown();
    if (hook != null && !requested.get()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is already exiting; the hook will find the latch open.
      }
    }
  }
}
