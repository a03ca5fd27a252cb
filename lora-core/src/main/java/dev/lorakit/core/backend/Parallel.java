package dev.lorakit.core.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over {@code [0, n)} into contiguous chunks run by the calling thread and a fixed
 * pool of {@code threads - 1} others. What each index computes must not depend on the chunking,
 * which keeps results identical for any number of threads.
 *
 * <p>The calling thread works: it takes chunks from the same counter as the pool's threads, so a
 * loop on {@code threads} cores keeps {@code threads} threads busy, not {@code threads} workers and
 * a caller waiting beside them. (With a pool of {@code threads} workers and an idle caller, one
 * fork-join loop in six on two cores ran almost wholly on one worker: the second was woken after
 * the first had taken most chunks.) Chunks are dealt from the counter, so a thread that starts
 * late, or loses its core for a while, takes fewer.
 */
final class Parallel implements AutoCloseable {

  /** The body of a parallel loop over the half-open range {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  /**
   * At most this many chunks per thread: enough that a thread's last chunk is a small share of the
   * loop (so a late or slowed thread costs little) and that a loop of a few equal tasks, such as
   * the 12 row blocks of a 2048-row product, is cut into whole tasks, one chunk each, not into
   * chunks of one and two. Taking a chunk is one atomic increment.
   */
  private static final int CHUNKS_PER_THREAD = 16;

  private final ForkJoinPool pool;
  private final int threads;

  Parallel(int threads) {
    this.threads = threads;
    this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
  }

  int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over {@code [0, n)}, in chunks of at least {@code grain} indices (so that
   * tiny loops stay on the calling thread). Returns when every chunk has run or, if one threw, when
   * every chunk taken has finished; then throws the first exception a chunk threw.
   */
  void forRange(int n, int grain, Range body) {
    if (n <= 0) {
      return;
    }
    int chunks = Math.min(threads * CHUNKS_PER_THREAD, Math.ceilDiv(n, Math.max(1, grain)));
    if (pool == null || chunks <= 1) {
      body.run(0, n);
      return;
    }
    Loop loop = new Loop(body, n, chunks, Thread.currentThread());
    for (int i = Math.min(threads, chunks) - 1; i > 0; i--) {
      pool.execute(loop::drain);
    }
    loop.drain();
    loop.await();
    if (loop.failure instanceof RuntimeException e) {
      throw e;
    } else if (loop.failure instanceof Error e) {
      throw e;
    }
  }

  /**
   * The chunks of one loop, dealt to whichever thread asks next. The caller waits for the chunks,
   * not for the helpers: a helper that starts after every chunk was taken (woken late, or off its
   * core for a while) finds none and leaves, and nobody waited for it.
   */
  private static final class Loop {

    /** How long the caller spins for the last chunks before it parks. */
    private static final long SPIN_NANOS = 50_000;

    private final Range body;
    private final int n;
    private final int total;
    private final Thread caller;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;

    Loop(Range body, int n, int total, Thread caller) {
      this.body = body;
      this.n = n;
      this.total = total;
      this.caller = caller;
    }

    /**
     * Runs chunks until none is left. A chunk that throws is recorded (the first one wins) and
     * leaves the chunks no thread has taken yet untaken.
     */
    void drain() {
      for (int c = next.getAndIncrement(); c < total; c = next.getAndIncrement()) {
        try {
          body.run((int) ((long) n * c / total), (int) ((long) n * (c + 1) / total));
        } catch (RuntimeException | Error e) {
          synchronized (this) {
            failure = failure == null ? e : failure;
          }
          finish(total - Math.min(total, next.getAndSet(total)));
        } finally {
          finish(1);
        }
      }
    }

    private void finish(int chunks) {
      if (chunks > 0 && done.addAndGet(chunks) == total) {
        LockSupport.unpark(caller);
      }
    }

    /** Returns when every chunk has run or been left untaken. */
    void await() {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      while (done.get() < total) {
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
