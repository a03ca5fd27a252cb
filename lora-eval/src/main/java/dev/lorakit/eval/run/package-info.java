/**
 * Running the task suite against models: {@link dev.lorakit.eval.run.Evaluation} asks every test
 * case's tasks of the base model and the tuned one, scores the answers and compares the two per
 * task. {@link dev.lorakit.eval.run.AnswerGenerator} is the seam between the evaluation and the
 * engine (tests use a fake); {@link dev.lorakit.eval.run.DecoderAnswerGenerator} answers with a
 * decoder and its KV cache.
 */
package dev.lorakit.eval.run;
