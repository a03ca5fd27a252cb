/**
 * Optimisation, with PyTorch's and Hugging Face's semantics: {@link dev.lorakit.core.optim.AdamW}
 * (as {@code torch.optim.AdamW}, its moments float32 tensors on the parameters' backend, the update
 * one {@link dev.lorakit.core.backend.Backend#adamW} call per parameter), {@link
 * dev.lorakit.core.optim.LrSchedule} (warmup, then constant, linear or cosine, as {@code
 * get_*_schedule_with_warmup}) and {@link dev.lorakit.core.optim.GradClip} (global-norm clipping,
 * as {@code clip_grad_norm_}). A {@link dev.lorakit.core.optim.Parameter} is a trainable tensor and
 * the buffer its gradient accumulates in.
 */
package dev.lorakit.core.optim;
