package dev.lorakit.cuda;

/**
 * Raw device memory: what {@link DeviceAllocator} caches on top of (cuMemAlloc/cuMemFree, or a fake
 * in tests).
 */
interface DeviceMemory {

  /** A new block of {@code bytes}, or 0 when the device is out of memory. */
  long allocate(long bytes);

  void free(long pointer);

  /** {@code {free, total}} bytes of the device. */
  long[] info();
}
