package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.core.train.DeviceGroup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One rank of data-parallel training on a {@link CudaBackend}, over an NCCL communicator. Used from
 * the rank's own thread (the backend's), like the backend itself.
 *
 * <p>The gradients are copied into one flat float32 buffer on the device (a device-to-device copy
 * per tensor, on the backend's stream), summed in place by ncclAllReduce in buckets of {@link
 * #BUCKET_FLOATS} values launched as one NCCL group, and copied back; everything is enqueued on the
 * backend's stream, so the sum runs right after the backward without the host waiting. It is not
 * overlapped with the backward: at 7B the adapter's gradients take a small fraction of a
 * millisecond to reduce against a step of seconds (docs/PERFORMANCE.md), too little to pay for
 * hooks inside the decoder's backward. The scalars (loss sums, rank 0's word to stop) go through a
 * small float64 buffer.
 */
public final class NcclDataParallel implements DeviceGroup.Member {

  /**
   * Values per ncclAllReduce call: 64 MiB of float32, PyTorch DDP's order of magnitude (25 MiB).
   */
  static final int BUCKET_FLOATS = 16 << 20;

  private final CudaBackend backend;
  private final Nccl nccl;
  private final Nccl.Communicator comm;
  private Tensor flat;
  private long scalars;
  private int scalarCapacity;
  private boolean used;

  private NcclDataParallel(CudaBackend backend, Nccl nccl, Nccl.Communicator comm) {
    this.backend = backend;
    this.nccl = nccl;
    this.comm = comm;
  }

  /**
   * Joins rank {@code rank} of {@code worldSize}, on {@code backend}'s device, to the communicator
   * named by {@code id} (from {@link Nccl#uniqueId} on rank 0, handed to the others); returns when
   * all ranks have joined. Call it on the thread that will use the backend.
   */
  public static NcclDataParallel join(
      CudaBackend backend, Nccl nccl, byte[] id, int rank, int worldSize) {
    backend
        .synchronize(); // makes the backend's context current: NCCL binds the communicator to its
    // device
    return new NcclDataParallel(backend, nccl, nccl.join(id, worldSize, rank));
  }

  /** Over a communicator the caller has joined (and closes). */
  static NcclDataParallel over(CudaBackend backend, Nccl nccl, Nccl.Communicator comm) {
    return new NcclDataParallel(backend, nccl, comm);
  }

  @Override
  public int rank() {
    return comm.rank();
  }

  @Override
  public int worldSize() {
    return comm.size();
  }

  @Override
  public void sumScalars(double[] values) {
    if (values.length == 0) {
      return;
    }
    used = true;
    backend.synchronize();
    CudaDriver driver = backend.driver();
    if (values.length > scalarCapacity) {
      if (scalars != 0) {
        driver.memFree(scalars);
      }
      scalars = driver.memAlloc(8L * values.length);
      scalarCapacity = values.length;
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host = a.allocateFrom(JAVA_DOUBLE, values);
      long bytes = 8L * values.length;
      driver.copyHostToDevice(scalars, host, bytes, backend.stream());
      comm.allReduceSum(scalars, scalars, values.length, Nccl.FLOAT64, backend.stream());
      driver.copyDeviceToHost(host, scalars, bytes, backend.stream());
      driver.streamSynchronize(backend.stream());
      MemorySegment.copy(host, JAVA_DOUBLE, 0, values, 0, values.length);
    }
  }

  @Override
  public void sumGradients(List<Tensor> gradients) {
    collective(gradients, true);
  }

  @Override
  public void broadcast(List<Tensor> tensors) {
    collective(tensors, false);
  }

  /**
   * Flattens {@code tensors}, sums ({@code sum}) or broadcasts from rank 0 in buckets, and copies
   * back.
   */
  private void collective(List<Tensor> tensors, boolean sum) {
    used = true;
    long total = 0;
    for (Tensor t : tensors) {
      if (t.dtype() != DType.F32) {
        throw new IllegalArgumentException(
            "Data-parallel collectives take F32 tensors, not " + t.dtype() + ".");
      }
      total += t.shape().size();
    }
    if (total == 0) {
      return;
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(total + " values are more than one flat buffer holds.");
    }
    if (flat == null || flat.shape().size() < total) {
      if (flat != null) {
        flat.close();
      }
      flat = backend.zeros(DType.F32, Shape.of((int) total));
    }
    int at = 0;
    for (Tensor t : tensors) {
      backend.copyColumns(t, 0, flat, at, 1, (int) t.shape().size());
      at += (int) t.shape().size();
    }
    long base = ((CudaTensor) flat).pointer();
    nccl.groupStart();
    try {
      for (long done = 0; done < total; done += BUCKET_FLOATS) {
        long n = Math.min(BUCKET_FLOATS, total - done);
        long p = base + 4 * done;
        if (sum) {
          comm.allReduceSum(p, p, n, Nccl.FLOAT32, backend.stream());
        } else {
          comm.broadcast(p, p, n, Nccl.FLOAT32, 0, backend.stream());
        }
      }
    } finally {
      nccl.groupEnd();
    }
    at = 0;
    for (Tensor t : tensors) {
      backend.copyColumns(flat, at, t, 0, 1, (int) t.shape().size());
      at += (int) t.shape().size();
    }
  }

  /** Whether any collective has run on this rank. */
  @Override
  public boolean used() {
    return used;
  }

  /** Frees the buffers and destroys the communicator. */
  @Override
  public void close() {
    releaseBuffers();
    comm.close();
  }

  /** Frees the device buffers (they are made again when needed). */
  void releaseBuffers() {
    if (flat != null) {
      flat.close();
      flat = null;
    }
    if (scalars != 0) {
      backend.synchronize();
      backend.driver().memFree(scalars);
      scalars = 0;
      scalarCapacity = 0;
    }
  }
}
