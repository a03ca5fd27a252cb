package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceAllocatorTest {

  /** A device with a fixed capacity that records every raw allocation. */
  static final class FakeMemory implements DeviceMemory {
    final long capacity;
    final Map<Long, Long> blocks = new HashMap<>();
    long next = 0x1000;
    int allocations;

    FakeMemory(long capacity) {
      this.capacity = capacity;
    }

    long used() {
      return blocks.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public long allocate(long bytes) {
      if (used() + bytes > capacity) {
        return 0;
      }
      allocations++;
      long p = next;
      next += bytes + 256;
      blocks.put(p, bytes);
      return p;
    }

    @Override
    public void free(long pointer) {
      if (blocks.remove(pointer) == null) {
        throw new AssertionError("double free of " + pointer);
      }
    }

    @Override
    public long[] info() {
      return new long[] {capacity - used(), capacity};
    }
  }

  @Test
  void sizesRoundToBuckets() {
    assertEquals(512, DeviceAllocator.roundUp(0));
    assertEquals(512, DeviceAllocator.roundUp(1));
    assertEquals(1024, DeviceAllocator.roundUp(513));
    assertEquals(1L << 20, DeviceAllocator.roundUp(1L << 20));
    assertEquals(2L << 20, DeviceAllocator.roundUp((1L << 20) + 1));
    assertEquals(4L << 20, DeviceAllocator.roundUp((2L << 20) + 1));
  }

  @Test
  void releasedBlocksAreReusedForTheSameBucketOnly() {
    FakeMemory mem = new FakeMemory(1L << 30);
    try (DeviceAllocator alloc = new DeviceAllocator(mem)) {
      long a = alloc.allocate(1000, "test");
      alloc.release(a);
      assertEquals(1024, alloc.bytesCached());
      assertEquals(a, alloc.allocate(700, "test"), "same 1024-byte bucket");
      long b = alloc.allocate(3000, "test");
      assertNotEquals(a, b);
      assertEquals(2, mem.allocations);
      assertEquals(1024 + 3072, alloc.bytesInUse());
      assertThrows(IllegalStateException.class, () -> alloc.release(12345));
    }
  }

  @Test
  void closeFreesEveryBlockLiveOrCached() {
    FakeMemory mem = new FakeMemory(1L << 30);
    DeviceAllocator alloc = new DeviceAllocator(mem);
    long a = alloc.allocate(5 << 20, "test");
    alloc.allocate(100, "test");
    alloc.release(a);
    alloc.close();
    assertTrue(mem.blocks.isEmpty());
    assertEquals(0, alloc.bytesInUse());
    assertEquals(0, alloc.bytesCached());
  }

  @Test
  void aFullDeviceFirstGivesBackTheCacheThenFailsWithOneSentence() {
    FakeMemory mem = new FakeMemory(10L << 20);
    try (DeviceAllocator alloc = new DeviceAllocator(mem)) {
      long a = alloc.allocate(6L << 20, "test");
      alloc.release(a);
      // 8 MiB do not fit next to the cached 6 MiB, but do once the cache is returned.
      alloc.allocate(8L << 20, "test");
      assertEquals(0, alloc.bytesCached());
      LorakitInputException e =
          assertThrows(LorakitInputException.class, () -> alloc.allocate(3L << 20, "matmul"));
      String m = e.getMessage();
      assertTrue(
          m.startsWith(
              "Out of GPU memory in matmul: it asked for 3.0 MiB (3145728 bytes) but only 2.0 MiB"),
          m);
      assertTrue(
          m.contains("of the device's 10.0 MiB") && m.endsWith("held by this backend's tensors)."),
          m);
      assertTrue(m.endsWith(".") && !m.matches("(?s).*\\.\\s+[A-Z].*"), "one sentence: " + m);
    }
  }

  @Test
  void theLargestRequestIsKeptUntilThePeakIsReset() {
    DeviceAllocator a = new DeviceAllocator(new FakeMemory(64L << 20));
    long p = a.allocate(3000, "x");
    a.release(a.allocate(5L << 20, "y"));
    a.allocate(100, "z");
    assertEquals(5L << 20, a.largestRequest(), "the request, not its rounded block");
    a.resetPeak();
    assertEquals(0, a.largestRequest());
    a.release(p);
    a.allocate(700, "w");
    assertEquals(700, a.largestRequest());
    a.close();
  }
}
