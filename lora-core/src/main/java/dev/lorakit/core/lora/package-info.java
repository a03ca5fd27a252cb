/**
 * LoRA in PEFT's vocabulary and file format. {@link dev.lorakit.core.lora.LoraConfig} is the
 * content of {@code adapter_config.json} with PEFT's fields and semantics; {@link
 * dev.lorakit.core.lora.LoraSpec} resolves it once against a decoder's shape (which projections of
 * which blocks, each one's rank and scale); {@link dev.lorakit.core.lora.LoraWeights} holds the
 * trainable A and B matrices and their gradients on a backend and reads and writes a PEFT adapter
 * folder ({@link dev.lorakit.core.lora.PeftAdapter}). Adapters written here load in PEFT and PEFT's
 * load here, byte for byte where PEFT's own output is read and written back. The LoRA arithmetic
 * itself is in {@link dev.lorakit.core.nn.Decoder}.
 */
package dev.lorakit.core.lora;
