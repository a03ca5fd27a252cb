package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;

import java.util.List;

/**
 * Oropharyngeal squamous cell carcinoma of the base of tongue (C01) or tonsil (C09.9). 70 Gy in 35
 * with concurrent cisplatin (RTOG 0129; cisplatin over cetuximab: RTOG 1016, De-ESCALaTE HPV);
 * radiotherapy alone for small node-negative tumours; carboplatin when cisplatin is unsuitable;
 * intensity-modulated protons for young never-smokers with HPV-positive disease (as studied against
 * IMRT at MD Anderson).
 */
final class Oropharynx implements Site {

  @Override
  public double weight() {
    return 4;
  }

  @Override
  public Draft draw(Chance r) {
    boolean tonsil = r.chance(0.6);
    boolean male = r.chance(0.75);
    int age = r.age(60, 9, 35, 88);
    boolean p16 = r.chance(0.7);
    boolean neverSmoker = r.chance(p16 ? 0.45 : 0.1);
    int t = r.between(1, 4);
    int n = r.weighted(0.2, 0.5, 0.25, 0.05);
    int egfr = r.chance(0.85) ? r.between(60, 110) : r.between(30, 59);
    int ps = r.weighted(0.5, 0.4, 0.1);
    String d =
        person(age, male)
            + ", "
            + (neverSmoker ? "never smoker" : r.between(10, 50) + " pack-years")
            + ", with p16-"
            + (p16 ? "positive" : "negative")
            + " squamous cell carcinoma of the "
            + (tonsil ? (r.chance(0.5) ? "right" : "left") + " tonsil" : "base of tongue")
            + ", cT"
            + t
            + " N"
            + n
            + " M0. eGFR "
            + egfr
            + " mL/min. "
            + ecog(r, ps)
            + ". Radical intent.";
    String code = tonsil ? "C09.9" : "C01";
    boolean cisplatinOk = egfr >= 60 && age < 70 && ps <= 1;
    Plan alone =
        Plan.photon(
            "IMRT " + dose(70, 35) + " to the primary and involved nodes, elective neck to 56 Gy.");
    Plan cis =
        Plan.photon(
            "IMRT " + dose(70, 35) + " with concurrent cisplatin 100 mg/m2 every three weeks.");
    Plan carbo = Plan.photon("IMRT " + dose(70, 35) + " with concurrent weekly carboplatin.");
    Plan accelerated =
        Plan.photon("Accelerated IMRT " + dose(66, 33) + " over five and a half weeks.");
    Plan proton =
        Plan.proton(
            "Intensity-modulated proton therapy " + rbe(70, 33) + " with concurrent cisplatin.");
    Plan plan;
    if (p16 && neverSmoker && age < 55 && cisplatinOk) plan = proton;
    else if (t <= 2 && n == 0) plan = r.chance(0.7) ? alone : accelerated;
    else plan = cisplatinOk ? cis : carbo;
    return new Draft(d, code, plan, List.of(alone, cis, carbo, proton));
  }
}
