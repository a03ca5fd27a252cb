package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Cervical cancer (C53.9). Locally advanced disease: pelvic 45 Gy in 25 with weekly cisplatin, then
 * image-guided HDR brachytherapy 28 Gy in 4 (concurrent cisplatin: GOG 120, RTOG 9001;
 * brachytherapy doses: EMBRACE), a nodal boost when pelvic nodes are involved, extended fields for
 * para-aortic nodes, no cisplatin when the kidneys do not allow it. After radical hysterectomy with
 * nodes, margins or parametria involved: 45 Gy in 25 with cisplatin (GOG 109). Stage IVB with
 * bleeding: palliative 30 Gy in 10 or 20 Gy in 5.
 */
final class Cervix implements Site {

  @Override
  public double weight() {
    return 3;
  }

  @Override
  public Draft draw(Chance r) {
    int age = r.age(50, 13, 24, 86);
    String histology = r.chance(0.8) ? "squamous cell carcinoma" : "adenocarcinoma";
    int kind = r.weighted(0.72, 0.18, 0.1); // definitive, postoperative, palliative
    int ps = kind == 2 ? r.between(1, 3) : r.weighted(0.45, 0.45, 0.1);
    if (kind == 1) {
      String finding =
          r.pick(
              "two positive pelvic nodes", "parametrial involvement", "a positive vaginal margin");
      String d =
          person(age, false)
              + " with "
              + histology
              + " of the cervix after radical hysterectomy, pT1b"
              + r.between(1, 2)
              + ", with "
              + finding
              + ". "
              + ecog(r, ps)
              + ". Adjuvant intent.";
      Plan chemo =
          Plan.photon("Adjuvant pelvic radiotherapy " + dose(45, 25) + " with weekly cisplatin.");
      Plan alone = Plan.photon("Adjuvant pelvic radiotherapy " + dose(50.4, 28) + ".");
      return new Draft(
          d,
          "C53.9",
          chemo,
          List.of(alone, Plan.brachy("Vaginal vault HDR brachytherapy " + dose(21, 3) + ".")));
    }
    if (kind == 2) {
      String d =
          person(age, false)
              + " with FIGO stage IVB "
              + histology
              + " of the cervix, lung and bone "
              + "metastases, with heavy vaginal bleeding. "
              + ecog(r, ps)
              + ". Palliative intent.";
      Plan ten = Plan.photon("Palliative pelvic radiotherapy " + dose(30, 10) + ".");
      Plan five = Plan.photon("Palliative pelvic radiotherapy " + dose(20, 5) + ".");
      return new Draft(
          d,
          "C53.9",
          ps <= 1 ? ten : five,
          List.of(ten, five, Plan.photon("Palliative pelvic radiotherapy " + dose(8, 1) + ".")));
    }
    String stage = r.pick("IB3", "IIA2", "IIB", "IIB", "IIIB", "IIIC1", "IIIC2", "IVA");
    int egfr = r.chance(0.85) ? r.between(60, 110) : r.between(25, 55);
    String d =
        person(age, false)
            + " with FIGO stage "
            + stage
            + " "
            + histology
            + " of the cervix"
            + (stage.equals("IIIC1")
                ? ", pelvic nodes involved"
                : stage.equals("IIIC2") ? ", para-aortic nodes involved" : "")
            + ". eGFR "
            + egfr
            + " mL/min. "
            + ecog(r, ps)
            + ". Radical intent.";
    String chemo = egfr >= 50 ? " with weekly cisplatin" : " without chemotherapy";
    String field = stage.equals("IIIC2") ? "Extended-field radiotherapy " : "Pelvic radiotherapy ";
    String boost = stage.startsWith("IIIC") ? " and a nodal boost to 55 Gy" : "";
    Plan standard =
        Plan.photon(
            field + dose(45, 25) + boost + chemo + ", then HDR brachytherapy " + dose(28, 4) + ".");
    Plan five =
        Plan.photon(
            field
                + dose(45, 25)
                + boost
                + chemo
                + ", then HDR brachytherapy "
                + dose(27.5, 5)
                + ".");
    Plan fifty =
        Plan.photon(
            field + dose(50.4, 28) + chemo + ", then HDR brachytherapy " + dose(28, 4) + ".");
    return new Draft(d, "C53.9", r.chance(0.8) ? standard : five, List.of(standard, five, fifty));
  }
}
