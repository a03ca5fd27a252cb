/**
 * Files. Safetensors read through memory mapping ({@link dev.lorakit.core.io.SafeTensors} opens one
 * file or a sharded checkpoint as a {@link dev.lorakit.core.io.TensorSource}; files over 2 GiB are
 * fine, and the data is never copied to the heap until asked for) and written as PEFT and
 * transformers write them ({@link dev.lorakit.core.io.SafeTensorsWriter}). Everything lorakit
 * writes goes through {@link dev.lorakit.core.io.AtomicFile} or an {@link
 * dev.lorakit.core.io.OutputFolder}, so a reader never sees half a file and a failure leaves
 * nothing behind. A malformed file is a {@link dev.lorakit.core.io.SafeTensorsException} naming the
 * file, the tensor and the rule broken.
 */
package dev.lorakit.core.io;
