package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Brain metastases (C79.31). The number and size of lesions decide: one to four lesions get
 * radiosurgery, 24 Gy single fraction up to 20 mm and 20 Gy up to 30 mm (RTOG 90-05), fractionated
 * 27 Gy in 3 or 30 Gy in 5 when larger; five to ten small lesions in a fit patient also get
 * radiosurgery (JLGK0901); more, or larger multiple lesions, get whole-brain radiotherapy 30 Gy in
 * 10, hippocampal-sparing with memantine when fit (NRG CC001); a resection cavity gets 30 Gy in 5;
 * poor performance status gets 20 Gy in 5 (compare QUARTZ).
 */
final class BrainMetastases implements Site {

  @Override
  public double weight() {
    return 7;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.5);
    int age = r.age(64, 11, 30, 89);
    String primary =
        switch (r.weighted(0.5, male ? 0.02 : 0.3, 0.15, 0.08, 0.07)) {
          case 0 ->
              r.pick(
                  "EGFR-mutant lung adenocarcinoma",
                  "non-small cell lung cancer",
                  "small cell lung cancer");
          case 1 -> "HER2-positive breast cancer";
          case 2 -> "melanoma";
          case 3 -> "renal cell carcinoma";
          default -> "colorectal adenocarcinoma";
        };
    int count =
        switch (r.weighted(0.33, 0.32, 0.2, 0.15)) {
          case 0 -> 1;
          case 1 -> r.between(2, 4);
          case 2 -> r.between(5, 10);
          default -> r.between(11, 25);
        };
    int largest = count > 10 ? r.between(4, 25) : r.between(4, 42);
    int kps = 40 + 10 * r.weighted(0.06, 0.1, 0.14, 0.25, 0.3, 0.15);
    boolean resected = count == 1 && largest > 25 && r.chance(0.4);
    String extracranial =
        r.pick(
            "stable extracranial disease",
            "no extracranial disease",
            "progressing extracranial disease");
    String lesions =
        count == 1
            ? r.pick("a single brain metastasis", "a solitary brain metastasis")
                + " of "
                + largest
                + " mm"
            : count
                + " "
                + r.pick("brain metastases", "intracranial metastases")
                + ", the largest "
                + largest
                + " mm";
    String d =
        person(age, male)
            + " with "
            + primary
            + " and "
            + lesions
            + (resected ? ", resected, cavity on postoperative MRI" : "")
            + ". KPS "
            + kps
            + ", "
            + extracranial
            + ".";

    String each = count == 1 ? "the lesion" : "each of the " + count + " lesions";
    Plan srs24 = Plan.photon("Stereotactic radiosurgery " + dose(24, 1) + " to " + each + ".");
    Plan srs20 = Plan.photon("Stereotactic radiosurgery " + dose(20, 1) + " to " + each + ".");
    Plan srt27 =
        Plan.photon("Fractionated stereotactic radiotherapy " + dose(27, 3) + " to " + each + ".");
    Plan srt30 =
        Plan.photon("Fractionated stereotactic radiotherapy " + dose(30, 5) + " to " + each + ".");
    Plan cavity =
        Plan.photon("Stereotactic radiotherapy " + dose(30, 5) + " to the resection cavity.");
    Plan haWbrt =
        Plan.photon(
            "Hippocampal-avoidance whole-brain radiotherapy " + dose(30, 10) + " with memantine.");
    Plan wbrt30 = Plan.photon("Whole-brain radiotherapy " + dose(30, 10) + ".");
    Plan wbrt20 = Plan.photon("Whole-brain radiotherapy " + dose(20, 5) + ".");

    Plan plan;
    List<Plan> others;
    if (kps < 60) {
      plan = wbrt20;
      others = List.of(wbrt30, count <= 4 ? srs20 : haWbrt);
    } else if (resected) {
      plan = cavity;
      others = List.of(srt27, wbrt30);
    } else if (count <= 4 || count <= 10 && largest <= 20 && kps >= 70) {
      plan = largest <= 20 ? srs24 : largest <= 30 ? srs20 : (r.chance(0.5) ? srt27 : srt30);
      others = List.of(srs24, srs20, srt27, srt30, wbrt30);
    } else {
      plan = kps >= 80 ? haWbrt : kps >= 70 ? wbrt30 : wbrt20;
      others = List.of(haWbrt, wbrt30, wbrt20);
    }
    return new Draft(d, "C79.31", plan, others);
  }
}
