package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Basal or squamous cell carcinoma of the skin of the face when surgery is declined, unsuitable or
 * incomplete: C44.311/C44.319 basal cell (nose / other face), C44.321/C44.329 squamous cell.
 * Electrons 50 Gy in 20, 40 Gy in 10 for older patients and 35 Gy in 5 for the very old
 * (dose-fractionation of published skin guidelines, e.g. the Royal College of Radiologists'); small
 * lesions over nasal cartilage with kilovoltage x-rays; HDR surface-mould brachytherapy as an
 * alternative on curved surfaces.
 */
final class SkinOfFace implements Site {

  private static final String[] FACE = {"cheek", "forehead", "temple", "nasolabial fold", "chin"};

  @Override
  public double weight() {
    return 3.6;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.6);
    int age = r.age(80, 8, 55, 99);
    boolean squamous = r.chance(0.35);
    boolean nose = r.chance(0.35);
    String where = nose ? r.pick("nasal ala", "nasal tip", "nasal dorsum") : r.pick(FACE);
    String code = "C44.3" + (squamous ? "2" : "1") + (nose ? "1" : "9");
    int size = r.between(5, 40);
    String reason =
        r.pick(
            "declined surgery",
            "unfit for surgery on anticoagulation",
            "after incomplete excision");
    int ps = r.weighted(0.3, 0.4, 0.2, 0.1);
    String d =
        person(age, male)
            + " with "
            + (squamous
                ? "squamous cell carcinoma"
                : r.pick("nodular", "infiltrative") + " basal cell carcinoma")
            + " of the "
            + (nose ? "" : (r.chance(0.5) ? "right " : "left "))
            + where
            + ", "
            + size
            + " mm, "
            + reason
            + ". "
            + ecog(r, ps)
            + ". Curative intent.";
    Plan kv =
        Plan.photon("Kilovoltage x-ray therapy " + dose(45, 10) + " to the " + where + " lesion.");
    Plan e50 =
        Plan.electron(
            "Electron therapy " + dose(50, 20) + " to the " + where + " with a 1 cm margin.");
    Plan e40 =
        Plan.electron(
            "Electron therapy " + dose(40, 10) + " to the " + where + " with a 1 cm margin.");
    Plan e35 =
        Plan.electron("Electron therapy " + dose(35, 5) + " once weekly to the " + where + ".");
    Plan mould =
        Plan.brachy(
            "HDR surface-mould brachytherapy " + dose(40, 10) + " to the " + where + " lesion.");
    Plan plan;
    if (nose && size <= 20) plan = kv;
    else if (age >= 88 || ps >= 3) plan = e35;
    else if (age >= 78 && !squamous) plan = e40;
    else plan = e50;
    return new Draft(d, code, plan, List.of(kv, e50, e40, mould));
  }
}
