package dev.lorakit.core.nn;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;

/**
 * Keys and values of the tokens seen so far, per layer, so that generating one more token costs one
 * token's work. Keys are stored after the rotary embedding, as attention reads them.
 */
public final class KvCache implements AutoCloseable {

  final int batch;
  final int capacity;
  final Tensor[] keys;
  final Tensor[] values;
  private int length;

  /** Room for {@code capacity} positions of {@code batch} sequences, in float32. */
  public KvCache(DecoderConfig config, Backend backend, int batch, int capacity) {
    this(config, backend, batch, capacity, DType.F32);
  }

  /**
   * Room for {@code capacity} positions of {@code batch} sequences in {@code dtype}: the decoder's
   * activation dtype ({@code decoder.activations()}), since the cache holds its keys and values as
   * computed.
   */
  public KvCache(DecoderConfig config, Backend backend, int batch, int capacity, DType dtype) {
    if (batch < 1 || capacity < 1) {
      throw new IllegalArgumentException(
          "A KV cache needs batch and capacity >= 1, not " + batch + " and " + capacity + ".");
    }
    this.batch = batch;
    this.capacity = capacity;
    this.keys = new Tensor[config.layers()];
    this.values = new Tensor[config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = backend.zeros(dtype, Shape.of(batch * capacity, config.kvWidth()));
      values[l] = backend.zeros(dtype, Shape.of(batch * capacity, config.kvWidth()));
    }
  }

  /** The number of positions filled. */
  public int length() {
    return length;
  }

  /** The number of positions it can hold. */
  public int capacity() {
    return capacity;
  }

  void advance(int n) {
    length += n;
  }

  /** Forgets every position (the storage is kept). */
  public void reset() {
    length = 0;
  }

  @Override
  public void close() {
    for (int l = 0; l < keys.length; l++) {
      keys[l].close();
      values[l].close();
    }
  }
}
