/**
 * lorakit's engine: tensors and backends, the LLaMA/Mistral decoder with LoRA, AdamW and training,
 * and safetensors I/O, with no file format beyond safetensors, no tokenizer and no CUDA. This
 * package itself holds only {@link dev.lorakit.core.LorakitInputException}, the one unchecked type
 * for problems the user caused (a bad file, data, setting, or a model too big), worded in the
 * library's terms; a broken internal contract is an {@link java.lang.IllegalArgumentException} or
 * {@link java.lang.IllegalStateException} instead. Start reading at {@link
 * dev.lorakit.core.backend.Backend}, then {@link dev.lorakit.core.nn.Decoder} and {@link
 * dev.lorakit.core.train.Trainer}.
 */
package dev.lorakit.core;
