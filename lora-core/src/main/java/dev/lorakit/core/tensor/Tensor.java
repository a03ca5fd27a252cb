package dev.lorakit.core.tensor;

/**
 * A handle to a dense, row-major block of numbers that lives in a backend's memory (Java heap, GPU
 * memory). Only the backend that made a tensor can read or compute on it; the model code holds
 * handles and asks the backend for work, so the same model code runs on every backend.
 */
public interface Tensor extends AutoCloseable {

  /** The dimensions. */
  Shape shape();

  /** The element type. */
  DType dtype();

  /** The number of elements. */
  default long size() {
    return shape().size();
  }

  /** Gives the storage back to the backend; using the tensor afterwards is an error. Idempotent. */
  @Override
  void close();
}
