/**
 * Synthetic radiation-oncology cases: {@link dev.lorakit.eval.synth.SyntheticCases} draws cases
 * from a seed, each from one of the cancer sites modelled here (one class per site, with its
 * diagnoses, regimens, modalities and ICD-10 codes). The same seed gives the same cases on every
 * machine. What the generator models and what it does not is in docs/SYNTHETIC_DATA.md.
 */
package dev.lorakit.eval.synth;
