/**
 * Training files in the layouts fine-tuning data usually comes in, told apart by their first line
 * ({@link dev.lorakit.eval.data.DataFormat}): radiation-oncology cases, instruction pairs ({@link
 * dev.lorakit.eval.data.InstructionFile}: prompt/completion or Alpaca) and chat conversations
 * ({@link dev.lorakit.eval.data.ChatFile}). Every mistake is one sentence naming the file, line and
 * field.
 */
package dev.lorakit.eval.data;
