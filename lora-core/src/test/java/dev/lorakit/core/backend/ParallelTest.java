package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The loop splitter: every index once, the calling thread working, failures thrown after all. */
class ParallelTest {

  @ParameterizedTest(name = "{0} threads, n {1}, grain {2}")
  @CsvSource({"1, 100, 1", "2, 1, 1", "2, 7, 1", "2, 12, 1", "2, 1000, 3", "3, 100000, 64"})
  void everyIndexRunsOnceInContiguousChunks(int threads, int n, int grain) {
    AtomicIntegerArray runs = new AtomicIntegerArray(n);
    try (Parallel par = new Parallel(threads)) {
      par.forRange(
          n,
          grain,
          (from, to) -> {
            assertTrue(from < to && to <= n, "chunk [" + from + ", " + to + ")");
            for (int i = from; i < to; i++) {
              runs.incrementAndGet(i);
            }
          });
    }
    for (int i = 0; i < n; i++) {
      assertEquals(1, runs.get(i), "index " + i);
    }
  }

  /** Two threads are the caller and one pool thread; both take chunks when the chunks are long. */
  @Test
  void theCallingThreadTakesChunks() {
    Set<Thread> workers = ConcurrentHashMap.newKeySet();
    try (Parallel par = new Parallel(2)) {
      for (int attempt = 0; attempt < 20 && workers.size() < 2; attempt++) {
        par.forRange(
            8,
            1,
            (from, to) -> {
              workers.add(Thread.currentThread());
              long end = System.nanoTime() + 2_000_000;
              while (System.nanoTime() < end) {
                Thread.onSpinWait();
              }
            });
      }
    }
    assertTrue(workers.contains(Thread.currentThread()), "the caller ran no chunk: " + workers);
    assertEquals(2, workers.size(), "threads that ran chunks: " + workers);
  }

  @Test
  void aChunkThatThrowsIsThrownAfterTheOtherThreadsLeave() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxAfter = new AtomicInteger();
    IllegalStateException boom = new IllegalStateException("index 3");
    try (Parallel par = new Parallel(2)) {
      IllegalStateException thrown =
          assertThrows(
              IllegalStateException.class,
              () ->
                  par.forRange(
                      64,
                      1,
                      (from, to) -> {
                        running.incrementAndGet();
                        try {
                          if (from <= 3 && 3 < to) {
                            throw boom;
                          }
                          long end = System.nanoTime() + 200_000;
                          while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                          }
                        } finally {
                          running.decrementAndGet();
                        }
                      }));
      maxAfter.set(running.get());
      assertTrue(
          thrown == boom || thrown.getCause() == boom, "the chunk's own exception: " + thrown);
    }
    assertEquals(0, maxAfter.get(), "chunks still running when forRange threw");
  }

  @Test
  void aLoopInsideALoopFinishes() {
    AtomicInteger total = new AtomicInteger();
    try (Parallel par = new Parallel(2)) {
      par.forRange(4, 1, (from, to) -> par.forRange(100, 1, (f, t) -> total.addAndGet(t - f)));
    }
    assertEquals(400, total.get());
  }

  @Test
  void oneThreadRunsTheLoopOnTheCaller() {
    Thread[] ran = new Thread[1];
    try (Parallel par = new Parallel(1)) {
      par.forRange(10, 1, (from, to) -> ran[0] = Thread.currentThread());
    }
    assertSame(Thread.currentThread(), ran[0]);
  }
}
