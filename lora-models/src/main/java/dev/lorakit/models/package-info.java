/**
 * Hugging Face model folders. {@link dev.lorakit.models.ModelFolder} is the entry point: it reads
 * {@code config.json} into a {@link dev.lorakit.models.ModelConfig} (llama and mistral,
 * transformers' defaults), finds and checks the weights by their Hugging Face names in single or
 * sharded safetensors, and gives the engine its {@link dev.lorakit.core.nn.DecoderConfig} and
 * {@link dev.lorakit.core.nn.DecoderWeights}. {@link dev.lorakit.models.Tokenizer} runs {@code
 * tokenizer.json} through DJL's binding of the Rust tokenizers library, never downloading anything,
 * and {@link dev.lorakit.models.ChatTemplate} renders a model's chat template as transformers'
 * {@code apply_chat_template} does. A folder that breaks a rule is one sentence naming the file and
 * field.
 */
package dev.lorakit.models;
