package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;

/** A tensor on the Java heap: float[] for F32, the raw 16-bit patterns in a short[] for BF16 and F16. */
final class CpuTensor implements Tensor {

    final CpuBackend owner;
    private final Shape shape;
    private final DType dtype;
    private float[] floats;
    private short[] halves;

    CpuTensor(CpuBackend owner, DType dtype, Shape shape) {
        long n = shape.size();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("A CPU tensor holds at most 2^31 elements; " + shape + " has " + n + ".");
        }
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
            throw new IllegalStateException(halves == null ? "The tensor " + shape + " was closed."
                    : "This op needs an F32 tensor, not " + dtype + " " + shape + "; convert it with copy().");
        }
        return floats;
    }

    /** The 16-bit storage of a BF16 or F16 tensor. */
    short[] halves() {
        if (halves == null) {
            throw new IllegalStateException("The tensor " + shape + " was closed.");
        }
        return halves;
    }

    float get(int i) {
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
    }

    @Override
    public String toString() {
        return "CpuTensor" + shape + " " + dtype;
    }
}
