package dev.lorakit.core.optim;

import dev.lorakit.core.tensor.Tensor;

/**
 * A trainable tensor and the buffer its gradient accumulates in.
 *
 * @param name a stable name (PEFT's on-disk name for LoRA matrices), used for optimizer state and
 *     checkpoints
 * @param value the parameter
 * @param grad its gradient, same shape
 */
public record Parameter(String name, Tensor value, Tensor grad) {}
