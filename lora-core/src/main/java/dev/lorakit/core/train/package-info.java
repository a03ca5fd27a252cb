/**
 * Training. {@link dev.lorakit.core.train.Trainer} runs the optimiser steps of one LoRA adapter:
 * seeded shuffling, right-padded batches of {@link dev.lorakit.core.train.Example}s, gradient
 * accumulation normalised as Hugging Face does, clipping, AdamW with a schedule, and checkpoints
 * from which a run resumes bit for bit. {@link dev.lorakit.core.train.Validation} measures the mean
 * loss per token of held-out examples. A non-finite loss, gradient or weight ends a run with {@link
 * dev.lorakit.core.train.TrainingDivergedException}, and nothing non-finite is ever written.
 */
package dev.lorakit.core.train;
