package dev.lorakit.eval.synth;

import dev.lorakit.eval.cases.Modality;

/** A treatment: the regimen sentence and the modality of its main course. */
record Plan(String regimen, Modality modality) {

  static Plan photon(String regimen) {
    return new Plan(regimen, Modality.PHOTON);
  }

  static Plan proton(String regimen) {
    return new Plan(regimen, Modality.PROTON);
  }

  static Plan electron(String regimen) {
    return new Plan(regimen, Modality.ELECTRON);
  }

  static Plan brachy(String regimen) {
    return new Plan(regimen, Modality.BRACHYTHERAPY);
  }
}
