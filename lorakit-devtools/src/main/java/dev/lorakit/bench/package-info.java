/**
 * The CPU benchmarks ({@code ./lorakit-dev gemm-vs-numpy}, {@code train-step}, {@code jmh} and the
 * others): JMH benchmarks of the GEMMs and of a training step, and side-by-side comparisons with a
 * reference measured in the same run (numpy's OpenBLAS, PyTorch). Every figure is printed with its
 * reference and their ratio; figures worth keeping go to docs/PERFORMANCE.md with the command,
 * machine and date.
 */
package dev.lorakit.bench;
