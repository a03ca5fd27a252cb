package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Oesophageal cancer, middle (C15.4) or lower (C15.5) third. Operable: neoadjuvant 41.4 Gy in 23
 * with carboplatin and paclitaxel then oesophagectomy (CROSS). Inoperable or unfit: definitive 50.4
 * Gy in 28 with chemotherapy (RTOG 8501, INT 0123, ARTDECO). Metastatic with dysphagia: 20 Gy in 5,
 * or a single 12 Gy intraluminal brachytherapy fraction when performance status is poor (SIREC).
 */
final class Oesophagus implements Site {

  @Override
  public double weight() {
    return 2.5;
  }

  @Override
  public Draft draw(Chance r) {
    boolean lower = r.chance(0.65);
    String code = lower ? "C15.5" : "C15.4";
    boolean squamous = lower ? r.chance(0.2) : r.chance(0.8);
    boolean male = r.chance(0.7);
    int age = r.age(67, 9, 40, 90);
    String histology = squamous ? "squamous cell carcinoma" : "adenocarcinoma";
    String third = lower ? "lower third" : "middle third";
    if (r.chance(0.15)) {
      int ps = r.between(1, 3);
      String d =
          person(age, male)
              + " with metastatic "
              + histology
              + " of the "
              + third
              + " of the oesophagus, "
              + "liver metastases, dysphagia to soft diet. "
              + ecog(r, ps)
              + ". Palliative intent.";
      Plan ebrt = Plan.photon("Palliative radiotherapy " + dose(20, 5) + " to the oesophagus.");
      Plan brachy =
          Plan.brachy("Intraluminal HDR brachytherapy " + dose(12, 1) + " to the oesophagus.");
      Plan ten = Plan.photon("Palliative radiotherapy " + dose(30, 10) + " to the oesophagus.");
      return new Draft(d, code, ps >= 3 ? brachy : ebrt, List.of(ebrt, brachy, ten));
    }
    String t = r.pick("T2", "T3", "T3", "T4a");
    String n = r.pick("N0", "N1", "N1", "N2");
    int ps = r.weighted(0.35, 0.45, 0.2);
    boolean operable = ps <= 1 && age < 78 && r.chance(0.8);
    String d =
        person(age, male)
            + " with "
            + histology
            + " of the "
            + third
            + " of the oesophagus, c"
            + t
            + " "
            + n
            + " M0 on PET-CT. "
            + ecog(r, ps)
            + ". "
            + (operable
                ? "Fit for oesophagectomy"
                : r.pick("Unfit for surgery", "Declined surgery"))
            + ". Radical intent.";
    Plan cross =
        Plan.photon(
            "Neoadjuvant chemoradiotherapy "
                + dose(41.4, 23)
                + " with weekly carboplatin and "
                + "paclitaxel, then oesophagectomy.");
    Plan definitive =
        Plan.photon(
            "Definitive chemoradiotherapy "
                + dose(50.4, 28)
                + " with concurrent "
                + r.pick("carboplatin and paclitaxel", "cisplatin and 5-fluorouracil")
                + ".");
    Plan alone = Plan.photon("Radical radiotherapy " + dose(55, 20) + ".");
    return new Draft(d, code, operable ? cross : definitive, List.of(cross, definitive, alone));
  }
}
