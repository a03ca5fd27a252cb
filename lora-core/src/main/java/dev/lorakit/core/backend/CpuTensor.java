package dev.lorakit.core.backend;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A tensor on the Java heap: float[] for F32, the raw 16-bit patterns in a short[] for BF16 and
 * F16. A frozen BF16 tensor may instead read its elements where they already lie, in a
 * (memory-mapped) segment it does not own: then it costs no heap and is read-only.
 */
final class CpuTensor implements Tensor {

  private static final ValueLayout.OfShort LE16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  final CpuBackend owner;
  private final Shape shape;
  private final DType dtype;
  private float[] floats;
  private short[] halves;
  private MemorySegment frozen;

  /**
   * A BF16 tensor over {@code bytes} (little-endian, {@code shape.size()} elements), kept where
   * they are.
   */
  CpuTensor(CpuBackend owner, Shape shape, MemorySegment bytes) {
    if (bytes.byteSize() != 2 * shape.size()) {
      throw new IllegalArgumentException(
          bytes.byteSize() + " bytes do not hold a bf16 " + shape + " tensor.");
    }
    checkSize(shape);
    this.owner = owner;
    this.shape = shape;
    this.dtype = DType.BF16;
    this.frozen = bytes;
  }

  private static void checkSize(Shape shape) {
    if (shape.size() > Integer.MAX_VALUE - 16) {
      throw new LorakitInputException(
          "A CPU tensor holds at most 2^31 elements; " + shape + " has " + shape.size() + ".");
    }
  }

  CpuTensor(CpuBackend owner, DType dtype, Shape shape) {
    long n = shape.size();
    checkSize(shape);
    this.owner = owner;
    this.shape = shape;
    this.dtype = dtype;
    if (dtype == DType.F32) {
      floats = new float[(int) n];
    } else {
      halves = new short[(int) n];
    }
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  /** The float storage of an F32 tensor. */
  float[] floats() {
    if (floats == null) {
      throw new IllegalStateException(
          halves == null && frozen == null
              ? "The tensor " + shape + " was closed."
              : "This op needs an F32 tensor, not "
                  + dtype
                  + " "
                  + shape
                  + "; convert it with copy().");
    }
    return floats;
  }

  /** The 16-bit storage of a BF16 or F16 tensor held on the heap (a frozen one is read-only). */
  short[] halves() {
    if (halves == null) {
      throw new IllegalStateException(
          frozen != null
              ? "The tensor "
                  + shape
                  + " is a read-only view of frozen "
                  + "bf16 weights; it cannot be written."
              : "The tensor " + shape + " was closed.");
    }
    return halves;
  }

  /**
   * The elements of a 16-bit tensor as little-endian bytes: the frozen segment, or a view of the
   * heap array.
   */
  MemorySegment halfSegment() {
    if (frozen != null) {
      return frozen;
    }
    return MemorySegment.ofArray(halves());
  }

  /** Whether the elements lie in a segment this tensor does not own (and so cost no heap). */
  boolean isFrozenView() {
    return frozen != null;
  }

  float get(int i) {
    if (frozen != null) {
      return HalfPrecision.bf16ToFloat(frozen.getAtIndex(LE16, i));
    }
    return switch (dtype) {
      case F32 -> floats()[i];
      case BF16 -> HalfPrecision.bf16ToFloat(halves()[i]);
      case F16 -> HalfPrecision.f16ToFloat(halves()[i]);
    };
  }

  void set(int i, float value) {
    switch (dtype) {
      case F32 -> floats()[i] = value;
      case BF16 -> halves()[i] = HalfPrecision.floatToBf16(value);
      case F16 -> halves()[i] = HalfPrecision.floatToF16(value);
    }
  }

  int length() {
    return (int) shape.size();
  }

  @Override
  public void close() {
    floats = null;
    halves = null;
    frozen = null;
  }

  @Override
  public String toString() {
    return "CpuTensor" + shape + " " + dtype;
  }
}
