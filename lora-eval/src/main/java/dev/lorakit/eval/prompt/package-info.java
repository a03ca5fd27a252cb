/**
 * The prompts the tasks are asked with: one {@link dev.lorakit.eval.prompt.PromptTemplate} per task
 * in {@link dev.lorakit.eval.prompt.PromptTemplates} (defaults, or a small file that replaces
 * some), and the {@link dev.lorakit.eval.prompt.PromptPair} a case becomes for training, split
 * where the answer begins so that only the answer and its EOS are learned.
 */
package dev.lorakit.eval.prompt;
