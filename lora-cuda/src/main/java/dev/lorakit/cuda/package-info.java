/**
 * The CUDA backend: {@link dev.lorakit.cuda.CudaBackend} implements {@link
 * dev.lorakit.core.backend.Backend} on one NVIDIA GPU through foreign-function bindings to the
 * driver ({@code CudaDriver}), cuBLAS ({@code CuBlas}, planned by {@code GemmPlan}) and NVRTC
 * ({@code Nvrtc}); no JNI and no native code of its own. The kernels are the {@code .cu} files
 * under {@code resources/dev/lorakit/cuda/kernels}, listed with their entry points in {@code
 * KernelSources}, compiled at run time for the device's architecture and cached on disk ({@code
 * Kernels}, {@code KernelCache}). {@link dev.lorakit.cuda.CudaBackendProvider} registers the
 * backend with {@link java.util.ServiceLoader}, so adding this jar to the class path is all it
 * takes, and lora-core never depends on it. Every op must agree with the CPU backend within the
 * tolerances its parity test states.
 */
package dev.lorakit.cuda;
