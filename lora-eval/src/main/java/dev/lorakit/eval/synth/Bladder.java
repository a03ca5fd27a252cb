package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Muscle-invasive bladder cancer (C67.9), bladder-preserving treatment after maximal TURBT. Fit
 * with good renal function: 64 Gy in 32 with cisplatin; otherwise 55 Gy in 20 with 5-fluorouracil
 * and mitomycin C (BC2001); frail: 36 Gy in 6 weekly fractions; haematuria with metastases: 21 Gy
 * in 3 (MRC BA09).
 */
final class Bladder implements Site {

  @Override
  public double weight() {
    return 2;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.75);
    int age = r.age(74, 8, 50, 94);
    int ps = r.weighted(0.25, 0.4, 0.2, 0.15);
    int egfr = r.between(28, 95);
    boolean metastatic = r.chance(0.12);
    String d;
    if (metastatic) {
      d =
          person(age, male)
              + " with metastatic urothelial carcinoma of the bladder and persistent haematuria needing "
              + "transfusion. "
              + ecog(r, ps)
              + ". Palliative intent.";
      Plan three =
          Plan.photon("Palliative bladder radiotherapy " + dose(21, 3) + " over one week.");
      return new Draft(
          d,
          "C67.9",
          three,
          List.of(
              Plan.photon("Palliative bladder radiotherapy " + dose(35, 10) + "."),
              Plan.photon("Palliative bladder radiotherapy " + dose(8, 1) + ".")));
    }
    d =
        person(age, male)
            + " with muscle-invasive urothelial carcinoma of the bladder, cT"
            + r.pick("2", "2", "3a", "3b", "4a")
            + " N0 M0 after maximal TURBT, no hydronephrosis. eGFR "
            + egfr
            + " mL/min. "
            + ecog(r, ps)
            + ". Bladder preservation, radical intent.";
    Plan cisplatin =
        Plan.photon("Radical bladder radiotherapy " + dose(64, 32) + " with concurrent cisplatin.");
    Plan bc2001 =
        Plan.photon(
            "Radical bladder radiotherapy "
                + dose(55, 20)
                + " with concurrent 5-fluorouracil and "
                + "mitomycin C.");
    Plan weekly = Plan.photon("Bladder radiotherapy " + dose(36, 6) + " given weekly.");
    Plan plan =
        ps >= 3 || age >= 88 ? weekly : (egfr >= 60 && ps <= 1 && age < 75 ? cisplatin : bc2001);
    return new Draft(d, "C67.9", plan, List.of(cisplatin, bc2001, weekly));
  }
}
