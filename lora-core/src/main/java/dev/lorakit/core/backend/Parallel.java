package dev.lorakit.core.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a loop over {@code [0, n)} into contiguous chunks run on a fixed pool. What each index
 * computes must not depend on the chunking, which keeps results identical for any number of
 * threads.
 */
final class Parallel implements AutoCloseable {

  /** The body of a parallel loop over the half-open range {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  private final ForkJoinPool pool;
  private final int threads;

  Parallel(int threads) {
    this.threads = threads;
    this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
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
    if (pool == null || chunks <= 1) {
      body.run(0, n);
      return;
    }
    pool.invoke(new Chunk(body, 0, chunks, n, chunks));
  }

  /**
   * Chunks {@code [lo, hi)} of {@code total} equal chunks of {@code [0, n)}, split in halves until
   * one is left.
   */
  private static final class Chunk extends RecursiveAction {
    private final Range body;
    private final int lo;
    private final int hi;
    private final int n;
    private final int total;

    Chunk(Range body, int lo, int hi, int n, int total) {
      this.body = body;
      this.lo = lo;
      this.hi = hi;
      this.n = n;
      this.total = total;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        body.run((int) ((long) n * lo / total), (int) ((long) n * hi / total));
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Chunk(body, lo, mid, n, total), new Chunk(body, mid, hi, n, total));
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
