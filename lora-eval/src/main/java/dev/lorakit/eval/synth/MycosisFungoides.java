package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Mycosis fungoides (C84.00). Widespread patches and plaques: low-dose total skin electron beam
 * therapy, 12 Gy in 12 fractions over three weeks (pooled Stanford/MD Anderson phase II trials), or
 * the standard 36 Gy course; a single lesion: local electrons 24 Gy in 12 with curative intent;
 * symptomatic plaques or tumours in advanced disease: 8 Gy in 2 (ILROG guidance, Neelis).
 */
final class MycosisFungoides implements Site {

  @Override
  public double weight() {
    return 0.9;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.6);
    int age = r.age(62, 12, 30, 88);
    int kind = r.weighted(0.55, 0.2, 0.25); // widespread, unilesional, symptomatic tumour
    String d =
        person(age, male)
            + " with mycosis fungoides, "
            + switch (kind) {
              case 0 ->
                  "stage IB, patches and plaques over "
                      + r.between(15, 60)
                      + "% of the body surface, progressing on "
                      + r.pick("topical steroids", "phototherapy", "bexarotene");
              case 1 ->
                  "stage IA, a single "
                      + r.between(2, 6)
                      + " cm plaque on the "
                      + r.pick("thigh", "buttock", "flank");
              default ->
                  "stage IIB, an ulcerated "
                      + r.between(2, 5)
                      + " cm tumour on the "
                      + r.pick("forearm", "scalp", "back");
            }
            + ". "
            + (kind == 1 ? "Curative intent." : "Palliative intent.");
    Plan lowDose =
        Plan.electron("Total skin electron beam therapy " + dose(12, 12) + " over three weeks.");
    Plan standard = Plan.electron("Total skin electron beam therapy 36 Gy over nine weeks.");
    Plan unilesional =
        Plan.electron(
            "Local electron therapy " + dose(24, 12) + " to the plaque with a 2 cm margin.");
    Plan local = Plan.electron("Local electron therapy " + dose(8, 2) + " to the tumour.");
    Plan photon = Plan.photon("Local photon radiotherapy " + dose(8, 2) + " to the tumour.");
    return switch (kind) {
      case 0 -> new Draft(d, "C84.00", lowDose, List.of(standard, unilesional));
      case 1 -> new Draft(d, "C84.00", unilesional, List.of(local, lowDose));
      default -> new Draft(d, "C84.00", local, List.of(photon, lowDose));
    };
  }
}
