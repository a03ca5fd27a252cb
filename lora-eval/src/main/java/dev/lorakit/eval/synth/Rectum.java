package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Rectal adenocarcinoma (C20). Intermediate risk with a clear mesorectal fascia: short course 25 Gy
 * in 5 then surgery (Swedish Rectal Cancer Trial, Dutch TME). High risk (cT4, N2, EMVI or fascia
 * involved): 25 Gy in 5 followed by chemotherapy then surgery (RAPIDO). Low tumours aiming at organ
 * preservation, or with the fascia involved: long-course 50.4 Gy in 28 with capecitabine (German
 * CAO/ARO/AIO-94, OPRA).
 */
final class Rectum implements Site {

  @Override
  public double weight() {
    return 4;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.6);
    int age = r.age(65, 11, 32, 90);
    int t = r.weighted(0.12, 0.65, 0.23) + 2;
    int n = r.weighted(0.35, 0.45, 0.2);
    int fromVerge = r.between(2, 14);
    boolean fasciaInvolved = r.chance(t == 4 ? 0.7 : 0.2);
    boolean emvi = r.chance(0.3);
    int ps = r.weighted(0.45, 0.45, 0.1);
    String d =
        person(age, male)
            + " with adenocarcinoma of the rectum "
            + fromVerge
            + " cm from the anal verge, MRI c"
            + "T"
            + (t == 3 ? r.pick("3b", "3c") : String.valueOf(t))
            + " N"
            + n
            + " M0, mesorectal fascia "
            + (fasciaInvolved ? "involved" : "clear")
            + ", EMVI "
            + (emvi ? "positive" : "negative")
            + ". "
            + ecog(r, ps)
            + ". Neoadjuvant intent.";
    Plan shortCourse =
        Plan.photon(
            "Short-course radiotherapy " + dose(25, 5) + " followed by total mesorectal excision.");
    Plan rapido =
        Plan.photon(
            "Short-course radiotherapy "
                + dose(25, 5)
                + " followed by CAPOX chemotherapy, then "
                + "total mesorectal excision.");
    Plan longCourse =
        Plan.photon("Chemoradiotherapy " + dose(50.4, 28) + " with concurrent capecitabine.");
    boolean high = t == 4 || n == 2 || emvi || fasciaInvolved;
    Plan plan;
    if ((fromVerge <= 5 && t >= 3) || fasciaInvolved && age < 75) plan = longCourse;
    else if (high && age < 75 && ps <= 1) plan = rapido;
    else plan = shortCourse;
    return new Draft(d, "C20", plan, List.of(shortCourse, rapido, longCourse));
  }
}
