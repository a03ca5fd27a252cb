package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Bone metastases (C79.51). Uncomplicated painful metastasis: 8 Gy single fraction (Dutch Bone
 * Metastasis Study, RTOG 9714); spinal cord compression or neuropathic pain: 20 Gy in 5 (SCORAD
 * III); after surgical fixation or with a soft-tissue mass: 30 Gy in 10 or 20 Gy in 5;
 * oligometastatic disease with a controlled primary: SABR, 24 Gy in 2 to the spine (CCTG SC.24) and
 * 30 Gy in 3 or 35 Gy in 5 elsewhere (SABR-COMET).
 */
final class BoneMetastases implements Site {

  private static final String[] SPINE = {"T6", "T8", "T10", "T12", "L1", "L2", "L3", "L4"};
  private static final String[] OTHER = {
    "right femoral shaft",
    "left femoral neck",
    "left ilium",
    "right acetabulum",
    "sacrum",
    "right humerus",
    "left 7th rib"
  };

  @Override
  public double weight() {
    return 8;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.55);
    int age = r.age(67, 10, 35, 92);
    String primary =
        r.pick(
            male ? "prostate cancer" : "breast cancer",
            "lung cancer",
            "renal cell carcinoma",
            male ? "prostate cancer" : "breast cancer");
    boolean spine = r.chance(0.5);
    String bone = spine ? r.pick(SPINE) + " vertebra" : r.pick(OTHER);
    int kind = r.weighted(0.5, spine ? 0.25 : 0, 0.08, spine ? 0 : 0.15, 0.15);
    int ps = kind == 4 ? r.between(0, 1) : r.weighted(0.15, 0.35, 0.3, 0.2);
    String situation =
        switch (kind) {
          case 0 ->
              "painful metastasis of the "
                  + bone
                  + ", pain score "
                  + r.between(5, 9)
                  + "/10, no fracture";
          case 1 ->
              "metastasis of the "
                  + bone
                  + " with spinal cord compression, "
                  + r.pick("ambulant", "walking with aids")
                  + ", not a surgical candidate";
          case 2 ->
              "metastasis of the " + bone + " with neuropathic pain radiating in a dermatomal band";
          case 3 -> "pathological fracture of the " + bone + ", after surgical fixation";
          default ->
              "oligometastatic disease: "
                  + r.between(1, 3)
                  + " bone metastases including the "
                  + bone
                  + ", primary controlled";
        };
    String systemic =
        primary.startsWith("prostate")
            ? r.pick("enzalutamide", "abiraterone", "docetaxel")
            : primary.startsWith("breast")
                ? r.pick("letrozole and palbociclib", "capecitabine", "fulvestrant")
                : primary.startsWith("lung")
                    ? r.pick("pembrolizumab", "osimertinib", "carboplatin and pemetrexed")
                    : r.pick("cabozantinib", "nivolumab");
    String d =
        person(age, male)
            + " with "
            + primary
            + " on "
            + systemic
            + " and "
            + situation
            + ". "
            + ecog(r, ps)
            + ". "
            + (kind == 4 ? "Ablative intent." : "Palliative intent.");

    String to = " to the " + bone + ".";
    Plan single = Plan.photon("Palliative radiotherapy " + dose(8, 1) + to);
    Plan five = Plan.photon("Palliative radiotherapy " + dose(20, 5) + to);
    Plan ten = Plan.photon("Palliative radiotherapy " + dose(30, 10) + to);
    Plan sabrSpine = Plan.photon("Stereotactic body radiotherapy " + dose(24, 2) + to);
    Plan sabr3 = Plan.photon("Stereotactic ablative radiotherapy " + dose(30, 3) + to);
    Plan sabr5 = Plan.photon("Stereotactic ablative radiotherapy " + dose(35, 5) + to);
    return switch (kind) {
      case 0 -> new Draft(d, "C79.51", single, List.of(five, ten));
      case 1, 2 -> new Draft(d, "C79.51", five, List.of(single, ten));
      case 3 -> new Draft(d, "C79.51", r.chance(0.6) ? ten : five, List.of(five, ten, single));
      default ->
          new Draft(
              d,
              "C79.51",
              spine ? sabrSpine : (r.chance(0.5) ? sabr3 : sabr5),
              List.of(sabrSpine, sabr3, sabr5, ten));
    };
  }
}
