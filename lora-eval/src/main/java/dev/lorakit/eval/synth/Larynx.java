package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Glottic squamous cell carcinoma (C32.0). T1: 55 Gy in 20 (UK practice) or 63 Gy in 28 (2.25 Gy
 * per fraction, Yamazaki); T2: 65.25 Gy in 29 at 2.25 Gy per fraction (RTOG 9512 era practice); T3:
 * 70 Gy in 35 with concurrent cisplatin for larynx preservation (RTOG 91-11).
 */
final class Larynx implements Site {

  @Override
  public double weight() {
    return 2;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.8);
    int age = r.age(66, 9, 40, 90);
    String t = r.pick("T1a", "T1a", "T1a", "T1b", "T2", "T2", "T3");
    int ps = r.weighted(0.5, 0.4, 0.1);
    String d =
        person(age, male)
            + ", "
            + r.between(10, 60)
            + " pack-year smoker, with squamous cell carcinoma of the "
            + r.pick("right", "left")
            + " vocal cord"
            + (t.equals("T1b") ? " crossing the anterior commissure" : "")
            + (t.equals("T2")
                ? " with impaired cord mobility"
                : t.equals("T3") ? ", cord fixed" : "")
            + ", c"
            + t
            + " N0 M0. "
            + ecog(r, ps)
            + ". Hoarse voice. Radical intent.";
    Plan uk = Plan.photon("Radical radiotherapy " + dose(55, 20) + " to the larynx.");
    Plan yamazaki = Plan.photon("Radical radiotherapy " + dose(63, 28) + " to the larynx.");
    Plan t2 = Plan.photon("Radical radiotherapy " + dose(65.25, 29) + " to the larynx.");
    Plan conventional = Plan.photon("Radical radiotherapy " + dose(70, 35) + " to the larynx.");
    Plan t3 = Plan.photon("Radical radiotherapy " + dose(70, 35) + " with concurrent cisplatin.");
    if (t.startsWith("T1"))
      return new Draft(d, "C32.0", r.chance(0.5) ? uk : yamazaki, List.of(uk, yamazaki, t2));
    if (t.equals("T2"))
      return new Draft(
          d, "C32.0", r.chance(0.7) ? t2 : conventional, List.of(t2, conventional, uk));
    return new Draft(d, "C32.0", t3, List.of(conventional, t2));
  }
}
