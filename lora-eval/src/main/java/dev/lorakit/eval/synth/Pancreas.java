package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Pancreatic adenocarcinoma of the head (C25.0), body (C25.1) or tail (C25.2). Borderline
 * resectable: preoperative 36 Gy in 15 with gemcitabine (PREOPANC). Locally advanced and stable
 * after induction chemotherapy: SBRT 40 Gy in 5 when the bowel is clear of the tumour (as in
 * Alliance A021501 and MSK series), otherwise 50.4 Gy in 28 with capecitabine (SCALOP). Pain from
 * unresectable disease: 25 Gy in 5.
 */
final class Pancreas implements Site {

  @Override
  public double weight() {
    return 2;
  }

  @Override
  public Draft draw(Chance r) {
    int part = r.weighted(0.65, 0.2, 0.15);
    String code = "C25." + part;
    String where = part == 0 ? "head" : part == 1 ? "body" : "tail";
    boolean male = r.chance(0.52);
    int age = r.age(67, 9, 40, 88);
    int kind = r.weighted(0.3, 0.55, 0.15); // borderline, locally advanced, palliative
    int ps = kind == 2 ? r.between(1, 3) : r.weighted(0.4, 0.5, 0.1);
    int ca199 = r.between(20, 2400);
    boolean bowelClear = r.chance(0.5);
    String situation =
        switch (kind) {
          case 0 -> "borderline resectable, abutting the superior mesenteric vein";
          case 1 ->
              "locally advanced, encasing the coeliac axis, stable after four months of "
                  + r.pick("FOLFIRINOX", "gemcitabine and nab-paclitaxel")
                  + ", "
                  + (bowelClear ? "more than 1 cm from the duodenum" : "abutting the duodenum");
          default -> "unresectable with liver metastases and coeliac plexus pain";
        };
    String d =
        person(age, male)
            + " with adenocarcinoma of the pancreatic "
            + where
            + ", "
            + situation
            + ". CA 19-9 "
            + ca199
            + " U/mL. "
            + ecog(r, ps)
            + ". "
            + (kind == 2 ? "Palliative intent." : "Radical intent.");
    Plan preopanc =
        Plan.photon(
            "Preoperative chemoradiotherapy "
                + dose(36, 15)
                + " with gemcitabine, then "
                + "resection.");
    Plan sbrt =
        Plan.photon("Stereotactic body radiotherapy " + dose(40, 5) + " to the pancreatic tumour.");
    Plan scalop =
        Plan.photon("Chemoradiotherapy " + dose(50.4, 28) + " with concurrent capecitabine.");
    Plan pain = Plan.photon("Palliative radiotherapy " + dose(25, 5) + " to the pancreatic mass.");
    return switch (kind) {
      case 0 -> new Draft(d, code, preopanc, List.of(sbrt, scalop));
      case 1 -> new Draft(d, code, bowelClear ? sbrt : scalop, List.of(sbrt, scalop));
      default ->
          new Draft(
              d,
              code,
              pain,
              List.of(
                  Plan.photon("Palliative radiotherapy " + dose(8, 1) + " to the pancreatic mass."),
                  Plan.photon(
                      "Palliative radiotherapy " + dose(30, 10) + " to the pancreatic mass.")));
    };
  }
}
