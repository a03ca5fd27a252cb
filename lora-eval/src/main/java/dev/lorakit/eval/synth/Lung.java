package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Lung cancer; the lobe and side give the code (C34.11/.12 upper, C34.2 middle, C34.31/.32 lower).
 * Early peripheral NSCLC in an inoperable patient gets SABR: 34 Gy single fraction for small
 * tumours (RTOG 0915), 54 Gy in 3 (RTOG 0236), 48 Gy in 4 next to the chest wall, 50 Gy in 5 for
 * central tumours (RTOG 0813). Stage III: 60 Gy in 30 with concurrent chemotherapy then durvalumab
 * (RTOG 0617, PACIFIC), or 55 Gy in 20 sequentially when less fit. Limited small cell: 45 Gy in 30
 * twice daily (Turrisi, CONVERT). Symptomatic metastatic disease: palliative thoracic 20 Gy in 5,
 * 17 Gy in 2 or 10 Gy in 1 by performance status.
 */
final class Lung implements Site {

  private static final String[] LOBE = {
    "right upper lobe",
    "left upper lobe",
    "right lower lobe",
    "left lower lobe",
    "right middle lobe"
  };
  private static final String[] CODE = {"C34.11", "C34.12", "C34.31", "C34.32", "C34.2"};

  @Override
  public double weight() {
    return 13;
  }

  @Override
  public Draft draw(Chance r) {
    int lobe = r.weighted(0.3, 0.25, 0.17, 0.18, 0.1);
    boolean male = r.chance(0.55);
    int age = r.age(70, 9, 45, 90);
    int packYears = r.between(0, 80);
    String smoking = packYears < 5 ? "never smoker" : packYears + " pack-year smoking history";
    int kind =
        r.weighted(
            0.38, 0.4, 0.1, 0.12); // early NSCLC, stage III NSCLC, limited small cell, metastatic
    String histology = r.chance(0.6) ? "adenocarcinoma" : "squamous cell carcinoma";
    String where = LOBE[lobe];
    return switch (kind) {
      case 0 -> early(r, age, male, smoking, histology, where, CODE[lobe]);
      case 1 -> stageThree(r, age, male, smoking, histology, where, CODE[lobe]);
      case 2 -> smallCell(r, age, male, smoking, where, CODE[lobe]);
      default -> palliative(r, age, male, smoking, histology, where, CODE[lobe]);
    };
  }

  private Draft early(
      Chance r,
      int age,
      boolean male,
      String smoking,
      String histology,
      String where,
      String code) {
    double size = r.between(0.8, 4.8, 1);
    boolean central = r.chance(0.22);
    boolean chestWall = !central && r.chance(0.3);
    String t = size <= 1 ? "T1a" : size <= 2 ? "T1b" : size <= 3 ? "T1c" : "T2a";
    String d =
        person(age, male)
            + ", "
            + smoking
            + ", with a "
            + Words.oneDecimal(size)
            + " cm "
            + (central ? "central " : "peripheral ")
            + histology
            + " of the "
            + where
            + (chestWall ? " abutting the chest wall" : "")
            + ", c"
            + t
            + " N0 M0 on PET-CT. "
            + r.pick(
                "Medically inoperable (FEV1 0.9 L)", "Declined surgery", "Inoperable due to COPD")
            + ". "
            + ecog(r, r.between(0, 2))
            + ". Radical intent.";
    String target = " to the " + where + " tumour.";
    Plan single = Plan.photon("Stereotactic ablative radiotherapy " + dose(34, 1) + target);
    Plan three = Plan.photon("Stereotactic ablative radiotherapy " + dose(54, 3) + target);
    Plan four = Plan.photon("Stereotactic ablative radiotherapy " + dose(48, 4) + target);
    Plan five = Plan.photon("Stereotactic ablative radiotherapy " + dose(50, 5) + target);
    Plan eight = Plan.photon("Stereotactic ablative radiotherapy " + dose(60, 8) + target);
    Plan plan;
    if (central) plan = r.chance(0.8) ? five : eight;
    else if (chestWall) plan = four;
    else if (size <= 2) plan = r.chance(0.5) ? single : three;
    else plan = three;
    return new Draft(
        d, code, plan, central ? List.of(five, eight) : List.of(single, three, four, five));
  }

  private Draft stageThree(
      Chance r,
      int age,
      boolean male,
      String smoking,
      String histology,
      String where,
      String code) {
    String t = r.pick("T1c", "T2a", "T2b", "T3", "T4");
    String n = r.pick("N2", "N2", "N3", "N1");
    int ps = r.weighted(0.3, 0.5, 0.2);
    boolean pdl1 = r.chance(0.6);
    String d =
        person(age, male)
            + ", "
            + smoking
            + ", with "
            + histology
            + " of the "
            + where
            + ", c"
            + t
            + " "
            + n
            + " M0, stage III, PD-L1 "
            + (pdl1 ? r.between(1, 90) + "%" : "negative")
            + ". "
            + ecog(r, ps)
            + ". Unresectable, radical intent.";
    Plan concurrent =
        Plan.photon(
            "Radical radiotherapy "
                + dose(60, 30)
                + " with concurrent "
                + r.pick("carboplatin and paclitaxel", "cisplatin and etoposide")
                + (pdl1 ? ", then durvalumab for one year." : "."));
    Plan sequential =
        Plan.photon("Radical radiotherapy " + dose(55, 20) + " after sequential chemotherapy.");
    Plan alone = Plan.photon("Radical radiotherapy alone " + dose(55, 20) + ".");
    Plan plan = ps <= 1 && age < 80 ? concurrent : (ps == 2 && age < 80 ? sequential : alone);
    return new Draft(d, code, plan, List.of(concurrent, sequential, alone));
  }

  private Draft smallCell(
      Chance r, int age, boolean male, String smoking, String where, String code) {
    int ps = r.weighted(0.35, 0.5, 0.15);
    String d =
        person(age, male)
            + ", "
            + smoking
            + ", with limited-stage small cell lung cancer of the "
            + where
            + ", c"
            + r.pick("T2a", "T2b", "T3")
            + " "
            + r.pick("N1", "N2")
            + " M0, MRI brain clear. "
            + ecog(r, ps)
            + ". Radical intent.";
    Plan bid =
        Plan.photon(
            "Thoracic radiotherapy "
                + dose(45, 30)
                + " twice daily with concurrent cisplatin and "
                + "etoposide.");
    Plan once =
        Plan.photon(
            "Thoracic radiotherapy "
                + dose(66, 33)
                + " once daily with concurrent cisplatin and "
                + "etoposide.");
    Plan hypo =
        Plan.photon("Thoracic radiotherapy " + dose(40, 15) + " after carboplatin and etoposide.");
    Plan plan = ps == 2 ? hypo : (r.chance(0.7) ? bid : once);
    return new Draft(d, code, plan, List.of(bid, once, hypo));
  }

  private Draft palliative(
      Chance r,
      int age,
      boolean male,
      String smoking,
      String histology,
      String where,
      String code) {
    int ps = r.weighted(0.2, 0.35, 0.3, 0.15);
    String symptom =
        r.pick("haemoptysis", "dyspnoea from bronchial obstruction", "chest wall pain", "cough");
    String d =
        person(age, male)
            + ", "
            + smoking
            + ", with metastatic "
            + histology
            + " of the "
            + where
            + ", c"
            + r.pick("T3", "T4")
            + " N"
            + r.between(1, 3)
            + " M1"
            + r.pick("b", "c")
            + ", with "
            + symptom
            + ". "
            + ecog(r, ps)
            + ". Palliative intent.";
    Plan twenty = Plan.photon("Palliative thoracic radiotherapy " + dose(20, 5) + ".");
    Plan seventeen =
        Plan.photon("Palliative thoracic radiotherapy " + dose(17, 2) + " one week apart.");
    Plan ten = Plan.photon("Palliative thoracic radiotherapy " + dose(10, 1) + ".");
    Plan plan = ps <= 1 ? twenty : ps == 2 ? seventeen : ten;
    return new Draft(d, code, plan, List.of(twenty, seventeen, ten));
  }
}
