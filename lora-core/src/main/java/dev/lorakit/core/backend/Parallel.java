package dev.lorakit.core.backend;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over {@code [0, n)} into contiguous chunks run by the calling thread and a fixed
 * pool of {@code threads - 1} helpers. What each index computes must not depend on the chunking,
 * which keeps results identical for any number of threads.
 *
 * <p>The calling thread works on the loop itself, and every participant takes the next chunk from a
 * shared counter until none is left. So a loop costs one hand-off to each helper (not a chain of
 * forks before the first chunk starts, and a wake-up of a sleeping caller at the end), and a
 * participant that the operating system sets aside holds up only the chunk it is in: the others
 * take the rest.
 */
final class Parallel implements AutoCloseable {

  /** The body of a parallel loop over the half-open range {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  private final ExecutorService helpers;
  private final int threads;

  Parallel(int threads) {
    this.threads = threads;
    this.helpers =
        threads > 1
            ? Executors.newFixedThreadPool(
                threads - 1,
                r -> {
                  Thread t = new Thread(r, "lorakit-cpu");
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over {@code [0, n)}, in chunks of at least {@code grain} indices (so that
   * tiny loops stay on the calling thread).
   */
  void forRange(int n, int grain, Range body) {
    if (n <= 0) {
      return;
    }
    int chunks = Math.min(threads * 4, Math.ceilDiv(n, Math.max(1, grain)));
    if (helpers == null || chunks <= 1) {
      body.run(0, n);
      return;
    }
    Loop loop = new Loop(body, n, chunks);
    for (int h = Math.min(threads, chunks) - 1; h > 0; h--) {
      helpers.execute(loop::work);
    }
    loop.work();
    loop.await();
  }

  /** One parallel loop: the chunks not yet taken, those finished, and the first failure. */
  private static final class Loop {
    private final Range body;
    private final int n;
    private final int chunks;
    private final Thread caller = Thread.currentThread();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;

    Loop(Range body, int n, int chunks) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
    }

    /** Takes and runs chunks until none is left. A helper that starts late finds none. */
    void work() {
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        try {
          if (failure == null) {
            body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
          }
        } catch (Throwable t) {
          if (failure == null) {
            failure = t;
          }
        } finally {
          if (done.incrementAndGet() == chunks && Thread.currentThread() != caller) {
            LockSupport.unpark(caller);
          }
        }
      }
    }

    /**
     * Waits, on the calling thread, until the chunks that helpers took are finished; rethrows the
     * first failure.
     */
    void await() {
      for (int spins = 0; done.get() < chunks; spins++) {
        if (spins < 1 << 10) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      Throwable t = failure;
      if (t instanceof RuntimeException e) {
        throw e;
      }
      if (t instanceof Error e) {
        throw e;
      }
    }
  }

  @Override
  public void close() {
    if (helpers != null) {
      helpers.shutdownNow();
    }
  }
}
