package dev.lorakit.core.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;

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
   * every thread has left the loop, throwing the first exception.
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
    Loop loop = new Loop(body, n, chunks);
    ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[Math.min(threads, chunks) - 1];
    for (int i = 0; i < helpers.length; i++) {
      helpers[i] = pool.submit(loop::drain);
    }
    Throwable failure = null;
    try {
      loop.drain();
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    for (ForkJoinTask<?> helper : helpers) {
      try {
        helper.join();
      } catch (RuntimeException | Error e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    } else if (failure instanceof Error e) {
      throw e;
    }
  }

  /** The chunks of one loop, dealt to whichever thread asks next. */
  private static final class Loop {
    private final Range body;
    private final int n;
    private final int total;
    private final AtomicInteger next = new AtomicInteger();

    Loop(Range body, int n, int total) {
      this.body = body;
      this.n = n;
      this.total = total;
    }

    /**
     * Runs chunks until none is left. A chunk that throws leaves the chunks no thread has taken yet
     * untaken.
     */
    void drain() {
      try {
        for (int c = next.getAndIncrement(); c < total; c = next.getAndIncrement()) {
          body.run((int) ((long) n * c / total), (int) ((long) n * (c + 1) / total));
        }
      } catch (RuntimeException | Error e) {
        next.set(total);
        throw e;
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
