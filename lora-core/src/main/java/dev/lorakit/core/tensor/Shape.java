package dev.lorakit.core.tensor;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first (row-major).
 *
 * @param dims the extent of each dimension (0 allowed: an empty tensor)
 */
public record Shape(int... dims) {

  public Shape {
    dims = dims.clone();
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "A tensor dimension must not be negative: " + Arrays.toString(dims));
      }
    }
  }

  /** Shorthand for {@code new Shape(dims)}. */
  public static Shape of(int... dims) {
    return new Shape(dims);
  }

  /** The number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** The extent of dimension {@code i}; negative {@code i} counts from the end. */
  public int dim(int i) {
    return dims[i < 0 ? dims.length + i : i];
  }

  /** The number of elements. */
  public long size() {
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /**
   * The product of all dimensions but the last: the number of rows when the tensor is seen as a
   * matrix.
   */
  public int rows() {
    return (int) (size() / Math.max(1, dims[dims.length - 1]));
  }

  @Override
  public int[] dims() {
    return dims.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
