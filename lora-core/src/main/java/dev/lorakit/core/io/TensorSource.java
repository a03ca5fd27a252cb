package dev.lorakit.core.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors read from safetensors storage: one file ({@link SafeTensorsFile}) or a sharded
 * checkpoint ({@link ShardedSafeTensors}). Tensor data stays in the memory-mapped files until asked
 * for; segments are read-only views of the mapping and are valid until {@link #close()}.
 */
public interface TensorSource extends AutoCloseable {

  /** The file, or the index file of a sharded checkpoint. */
  Path path();

  /** Every tensor name, in a stable order (the header's, or the index's). */
  Set<String> names();

  /** Whether a tensor of that name exists. */
  boolean contains(String name);

  /** A tensor's dtype, shape and place; an unknown name gets an exception naming it. */
  TensorInfo info(String name) throws SafeTensorsException;

  /** The tensor's raw little-endian bytes: a zero-copy, read-only slice of the mapped file. */
  MemorySegment segment(String name) throws IOException;

  /** The file's {@code __metadata__} (string to string); empty when it has none. */
  Map<String, String> metadata();

  /** Unmaps the file(s). Segments handed out before become unusable. */
  @Override
  void close();

  /**
   * The tensor's values widened to float: F32 as is, F16 and BF16 exactly, F64 rounded to nearest.
   * Any other dtype is refused.
   */
  default float[] floats(String name) throws IOException {
    TensorInfo info = info(name);
    if (!info.dtype().isFloatingPoint()) {
      throw new SafeTensorsException(
          path()
              + ": tensor \""
              + name
              + "\" is "
              + info.dtype()
              + "; only F64, F32, F16 and BF16 tensors can be read as floats.");
    }
    float[] out = new float[arrayLength(info)];
    Widening.toFloats(segment(name), info.dtype(), out);
    return out;
  }

  /** The tensor's values widened to long, for integer and boolean dtypes (U8 read as unsigned). */
  default long[] longs(String name) throws IOException {
    TensorInfo info = info(name);
    if (info.dtype().isFloatingPoint()) {
      throw new SafeTensorsException(
          path()
              + ": tensor \""
              + name
              + "\" is "
              + info.dtype()
              + "; only integer and BOOL tensors can be read as longs.");
    }
    long[] out = new long[arrayLength(info)];
    Widening.toLongs(segment(name), info.dtype(), out);
    return out;
  }

  /**
   * An integer tensor (token ids, labels) read as ints.
   *
   * @throws SafeTensorsException when the tensor is floating point or holds a value outside the int
   *     range
   */
  default int[] ints(String name) throws IOException {
    long[] values = longs(name);
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      if (values[i] != (int) values[i]) {
        throw new SafeTensorsException(
            path()
                + ": tensor \""
                + name
                + "\" holds "
                + values[i]
                + " at index "
                + i
                + ", outside the range of an int.");
      }
      out[i] = (int) values[i];
    }
    return out;
  }

  private int arrayLength(TensorInfo info) throws SafeTensorsException {
    long count = info.elementCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new SafeTensorsException(
          path()
              + ": tensor \""
              + info.name()
              + "\" has "
              + count
              + " elements, more than a Java array holds; read it through segment() instead.");
    }
    return (int) count;
  }
}
