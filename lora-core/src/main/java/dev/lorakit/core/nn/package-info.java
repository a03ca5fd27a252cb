/**
 * The model: {@link dev.lorakit.core.nn.Decoder}, a LLaMA/Mistral block stack with an explicit
 * forward and an explicit backward written layer by layer in the order of the math (no autograd
 * tape), with LoRA applied to its projections; {@link dev.lorakit.core.nn.DecoderConfig} and {@link
 * dev.lorakit.core.nn.DecoderWeights} describe and hold the frozen base; {@link
 * dev.lorakit.core.nn.CausalLmLoss} is Hugging Face's shifted loss; {@link
 * dev.lorakit.core.nn.Generator}, {@link dev.lorakit.core.nn.KvCache} and {@link
 * dev.lorakit.core.nn.Sampler} generate text. The base weights never get a gradient: the backward
 * computes the gradient of the activations through them and the gradients of the LoRA matrices
 * only. A decoder runs one pass at a time and reuses its {@link dev.lorakit.core.nn.Activations}
 * buffers from step to step.
 */
package dev.lorakit.core.nn;
