package dev.lorakit.eval.synth;

/** A disease site the generator draws patients from: its rules turn drawn features into a plan. */
interface Site {

  /** Relative share of a radiotherapy department's new patients (any positive scale). */
  double weight();

  /** One patient: features, diagnostic text, code and plan. */
  Draft draw(Chance r);
}
