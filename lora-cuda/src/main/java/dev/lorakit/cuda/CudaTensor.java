package dev.lorakit.cuda;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;

/** A tensor in GPU memory: a device pointer from the backend's caching allocator. */
final class CudaTensor implements Tensor {

  final CudaBackend owner;
  private final Shape shape;
  private final DType dtype;
  private long pointer;
  private boolean closed;

  CudaTensor(CudaBackend owner, DType dtype, Shape shape, long pointer) {
    this.owner = owner;
    this.shape = shape;
    this.dtype = dtype;
    this.pointer = pointer;
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  long bytes() {
    return shape.size() * dtype.bytes();
  }

  /** The device address; fails once closed. */
  long pointer() {
    if (closed) {
      throw new IllegalStateException("The CUDA tensor " + shape + " " + dtype + " was closed.");
    }
    return pointer;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      owner.release(this, pointer);
      pointer = 0;
    }
  }

  @Override
  public String toString() {
    return "CudaTensor" + shape + " " + dtype;
  }
}
