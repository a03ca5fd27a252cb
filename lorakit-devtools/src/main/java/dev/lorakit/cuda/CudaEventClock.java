package dev.lorakit.cuda;

import dev.lorakit.core.backend.TimedBackend;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Op times on the GPU: a mark is a CUDA event recorded on the backend's stream, so an op's time is
 * what it took on the device, and timing adds no synchronisation. Events come from a pool that
 * {@link #recycle} makes reusable once the marks are resolved, so a step of thousands of ops
 * creates its events once.
 */
final class CudaEventClock implements TimedBackend.Clock, AutoCloseable {

  private final CudaBackend gpu;
  private final List<MemorySegment> events = new ArrayList<>();
  private int used;

  /**
   * GPU milliseconds per repetition of the work {@code enqueue} puts on {@code gpu}'s stream, timed
   * with CUDA events recorded before the first and after the last of {@code reps} repetitions.
   */
  static double timeMillis(CudaBackend gpu, Runnable enqueue, int reps) {
    gpu.synchronize(); // an idle stream, and the backend's context current on this thread
    CudaDriver driver = gpu.driver();
    MemorySegment start = driver.eventCreate();
    MemorySegment end = driver.eventCreate();
    try {
      driver.eventRecord(start, gpu.stream());
      for (int i = 0; i < reps; i++) {
        enqueue.run();
      }
      driver.eventRecord(end, gpu.stream());
      driver.eventSynchronize(end);
      return driver.eventElapsedMillis(start, end) / reps;
    } finally {
      driver.eventDestroy(start);
      driver.eventDestroy(end);
    }
  }

  CudaEventClock(CudaBackend gpu) {
    this.gpu = gpu;
  }

  @Override
  public long mark() {
    if (used == events.size()) {
      events.add(gpu.driver().eventCreate());
    }
    MemorySegment e = events.get(used);
    gpu.driver().eventRecord(e, gpu.stream());
    return used++;
  }

  @Override
  public long nanos(long from, long to) {
    MemorySegment end = events.get((int) to);
    gpu.driver().eventSynchronize(end); // at once when the step has synchronised already
    return Math.round(gpu.driver().eventElapsedMillis(events.get((int) from), end) * 1e6);
  }

  @Override
  public void recycle() {
    used = 0;
  }

  @Override
  public void close() {
    for (MemorySegment e : events) {
      gpu.driver().eventDestroy(e);
    }
    events.clear();
    used = 0;
  }
}
