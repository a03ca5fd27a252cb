package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;

import java.util.List;

/**
 * Chordoma or chondrosarcoma of the skull base (C41.0). After maximal resection, protons to 70-74
 * Gy(RBE) to keep brainstem, optic apparatus and temporal lobes within tolerance (PSI, MGH and
 * Heidelberg series); photon IMRT when a patient declines referral to a proton centre.
 */
final class SkullBase implements Site {

  @Override
  public double weight() {
    return 1.3;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.55);
    int age = r.age(50, 14, 18, 82);
    boolean chordoma = r.chance(0.7);
    boolean residual = r.chance(0.6);
    boolean declined = r.chance(0.1);
    String d =
        person(age, male)
            + " with "
            + (chordoma
                ? "chordoma of the clivus"
                : "low-grade chondrosarcoma of the " + "petroclival junction")
            + ", after endoscopic endonasal "
            + (residual
                ? "subtotal resection, residual " + "tumour abutting the brainstem"
                : "gross total resection")
            + ". "
            + ecog(r, r.between(0, 1))
            + ". "
            + (declined ? "Declined referral to a proton centre. " : "")
            + "Adjuvant intent.";
    double gy = chordoma ? (residual ? 74 : 70.2) : 70;
    int fx = chordoma ? (residual ? 37 : 39) : 35;
    Plan proton = Plan.proton("Pencil-beam scanning proton therapy " + rbe(gy, fx) + ".");
    Plan photon = Plan.photon("IMRT " + dose(70, 35) + " to the skull base.");
    Plan srs = Plan.photon("Stereotactic radiotherapy " + dose(35, 5) + " to the residual tumour.");
    return new Draft(d, "C41.0", declined ? photon : proton, List.of(proton, photon, srs));
  }
}
