package dev.lorakit.cuda;

import dev.lorakit.core.LorakitInputException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator over {@link DeviceMemory}: freed blocks go to a free list per rounded size
 * and the next request of that size reuses one, because cuMemAlloc/cuMemFree synchronise the device
 * and cost far more than a training step's many short-lived buffers. Sizes round up to 512 bytes
 * below 1 MiB and to 2 MiB above, so tensors of one shape always share a bucket. All work runs on
 * one stream, so a block freed after its last kernel was enqueued may be handed to the next kernel
 * at once (stream order keeps them apart). When the device is full the cache is returned to the
 * driver and the request retried once. {@link #close()} frees everything, blocks still in use
 * included.
 */
final class DeviceAllocator implements AutoCloseable {

  static final long SMALL_LIMIT = 1L << 20;
  static final long SMALL_GRAIN = 512;
  static final long LARGE_GRAIN = 2L << 20;

  private final DeviceMemory memory;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
  private final Map<Long, Long> live = new HashMap<>();
  private long bytesInUse;
  private long bytesCached;
  private long peakBytesInUse;
  private long largestRequest;

  DeviceAllocator(DeviceMemory memory) {
    this.memory = memory;
  }

  static long roundUp(long bytes) {
    long grain = bytes <= SMALL_LIMIT ? SMALL_GRAIN : LARGE_GRAIN;
    return Math.max(grain, (bytes + grain - 1) / grain * grain);
  }

  /**
   * A device block of at least {@code bytes}, for {@code op} (named in the out-of-memory message).
   */
  long allocate(long bytes, String op) {
    if (bytes < 0) {
      throw new IllegalArgumentException(op + ": cannot allocate " + bytes + " bytes.");
    }
    long size = roundUp(bytes);
    largestRequest = Math.max(largestRequest, bytes);
    ArrayDeque<Long> bucket = free.get(size);
    long p;
    if (bucket != null && !bucket.isEmpty()) {
      p = bucket.pop();
      bytesCached -= size;
    } else {
      p = memory.allocate(size);
      if (p == 0) {
        releaseCached();
        p = memory.allocate(size);
      }
      if (p == 0) {
        long[] info = memory.info();
        // The work does not fit the card: the model, batch or sequence length are the user's to
        // change.
        throw new LorakitInputException(
            String.format(
                "Out of GPU memory in %s: it asked for %s but only %s of the device's %s are free "
                    + "(%s held by this backend's tensors).",
                op, human(bytes), human(info[0]), human(info[1]), human(bytesInUse)));
      }
    }
    live.put(p, size);
    bytesInUse += size;
    peakBytesInUse = Math.max(peakBytesInUse, bytesInUse);
    return p;
  }

  /** Returns a block to the cache. */
  void release(long pointer) {
    Long size = live.remove(pointer);
    if (size == null) {
      throw new IllegalStateException(
          "Device block 0x" + Long.toHexString(pointer) + " is not allocated here.");
    }
    bytesInUse -= size;
    bytesCached += size;
    free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(pointer);
  }

  /** Hands every cached (unused) block back to the driver. */
  void releaseCached() {
    for (ArrayDeque<Long> bucket : free.values()) {
      for (long p : bucket) {
        memory.free(p);
      }
    }
    free.clear();
    bytesCached = 0;
  }

  long bytesInUse() {
    return bytesInUse;
  }

  /** The high-water mark of {@link #bytesInUse} since the last {@link #resetPeak}. */
  long peakBytesInUse() {
    return peakBytesInUse;
  }

  /**
   * The largest single request since the last {@link #resetPeak} (tells which buffers an op made).
   */
  long largestRequest() {
    return largestRequest;
  }

  void resetPeak() {
    peakBytesInUse = bytesInUse;
    largestRequest = 0;
  }

  long bytesCached() {
    return bytesCached;
  }

  static String human(long bytes) {
    if (bytes < 1L << 20) {
      return bytes + " bytes";
    }
    if (bytes < 1L << 30) {
      return String.format("%.1f MiB (%d bytes)", bytes / (double) (1L << 20), bytes);
    }
    return String.format("%.2f GiB (%d bytes)", bytes / (double) (1L << 30), bytes);
  }

  @Override
  public void close() {
    releaseCached();
    for (long p : live.keySet()) {
      memory.free(p);
    }
    live.clear();
    bytesInUse = 0;
  }
}
