/**
 * Where the arithmetic happens. {@link dev.lorakit.core.backend.Backend} is the complete set of ops
 * a decoder needs for forward, backward and AdamW, and the model code is written once against it;
 * {@link dev.lorakit.core.backend.CpuBackend} is the reference implementation (float32, Vector API
 * inner loops in {@code VectorKernels}, the GEMMs in {@code Matmul}, work split over a fixed pool
 * by {@code Parallel}). Other backends plug in through {@link
 * dev.lorakit.core.backend.BackendProvider} and {@link java.util.ServiceLoader}; {@link
 * dev.lorakit.core.backend.Backends#select} picks one by device name ({@code cpu}, {@code cuda},
 * {@code auto}). The contract, stated on {@code Backend}: row-major tensors, {@code ...Backward}
 * ops add into their outputs, one calling thread at a time, bit-identical results for identical
 * inputs; argument checks that every backend makes alike live in {@link
 * dev.lorakit.core.backend.OpArguments}.
 */
package dev.lorakit.core.backend;
