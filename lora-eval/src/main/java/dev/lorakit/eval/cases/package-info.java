/**
 * The task suite's data: a {@link dev.lorakit.eval.cases.Case} (a patient's diagnosis and up to
 * three reference answers), the three {@link dev.lorakit.eval.cases.Task}s asked of it, and case
 * files ({@link dev.lorakit.eval.cases.CaseFile}, JSON Lines) with their checks, summaries and
 * seeded, stratified splits. A bad case file is an {@link
 * dev.lorakit.eval.cases.InvalidCaseFileException} that lists every bad line, one sentence each.
 */
package dev.lorakit.eval.cases;
