/**
 * Reading a model's free-text answer in the form of the task's reference, so that the two can be
 * compared: {@link dev.lorakit.eval.answer.AnswerParser} is the entry point, with {@link
 * dev.lorakit.eval.answer.ModalityParser} and {@link dev.lorakit.eval.answer.Icd10Parser} for the
 * two labelled tasks. An answer that cannot be read parses to empty, which callers count as wrong
 * and list as unparsed.
 */
package dev.lorakit.eval.answer;
