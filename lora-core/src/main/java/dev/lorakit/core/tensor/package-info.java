/**
 * The value types every other package speaks in: {@link dev.lorakit.core.tensor.Tensor} (a handle
 * to a dense, row-major block of numbers in one backend's memory), its {@link
 * dev.lorakit.core.tensor.Shape} and {@link dev.lorakit.core.tensor.DType}, the {@link
 * dev.lorakit.core.tensor.Precision} a decoder computes in, and the bf16/f16 conversions of {@link
 * dev.lorakit.core.tensor.HalfPrecision}. A tensor is only a handle: only the backend that made it
 * reads or computes on it, and closing that backend invalidates it. {@link
 * dev.lorakit.core.tensor.Errors} is the one measure of how far computed values are from expected
 * ones that every reference check uses.
 */
package dev.lorakit.core.tensor;
