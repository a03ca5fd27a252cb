package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;

import java.util.List;

/**
 * Endometrial cancer after hysterectomy (C54.1). High-intermediate risk (stage IB grade 1-2 at 60
 * or older, stage IA grade 3, or LVSI): vaginal cuff HDR brachytherapy 21 Gy in 3 (PORTEC-2). High
 * risk (stage III, serous, IB grade 3 with LVSI): pelvic 48.6 Gy in 27 with cisplatin then
 * carboplatin and paclitaxel (PORTEC-3). Stage II: pelvic 45 Gy in 25 with a vaginal brachytherapy
 * boost.
 */
final class Endometrium implements Site {

  @Override
  public double weight() {
    return 3.4;
  }

  @Override
  public Draft draw(Chance r) {
    int age = r.age(66, 9, 40, 90);
    boolean serous = r.chance(0.1);
    int grade = serous ? 3 : 1 + r.weighted(0.35, 0.4, 0.25);
    String stage = r.pick("IA", "IB", "IB", "IB", "II", "IIIA", "IIIC1");
    if (stage.equals("IA") && grade < 3 && !serous) stage = "IB";
    boolean lvsi = r.chance(0.3);
    int ps = r.weighted(0.5, 0.4, 0.1);
    String d =
        person(age, false)
            + " with "
            + (serous ? "serous carcinoma" : "endometrioid adenocarcinoma, grade " + grade)
            + " of the endometrium after total hysterectomy and bilateral salpingo-oophorectomy, FIGO stage "
            + stage
            + (stage.equals("IB") ? ", more than half myometrial invasion" : "")
            + ", LVSI "
            + (lvsi ? "substantial" : "absent")
            + ". "
            + ecog(r, ps)
            + ". Adjuvant intent.";

    Plan vbt = Plan.brachy("Vaginal cuff HDR brachytherapy " + dose(21, 3) + " at 5 mm depth.");
    Plan vbt5 =
        Plan.brachy("Vaginal cuff HDR brachytherapy " + dose(30, 5) + " to the vaginal surface.");
    Plan pelvicBoost =
        Plan.photon(
            "Pelvic radiotherapy "
                + dose(45, 25)
                + " followed by a vaginal brachytherapy boost "
                + "of "
                + dose(11, 2)
                + ".");
    Plan portec3 =
        Plan.photon(
            "Pelvic radiotherapy "
                + dose(48.6, 27)
                + " with concurrent cisplatin, then carboplatin "
                + "and paclitaxel.");
    Plan pelvic = Plan.photon("Pelvic radiotherapy " + dose(45, 25) + ".");

    boolean high = serous || stage.startsWith("III") || stage.equals("IB") && grade == 3 && lvsi;
    if (high) return new Draft(d, "C54.1", portec3, List.of(pelvic, pelvicBoost));
    if (stage.equals("II"))
      return new Draft(
          d, "C54.1", grade < 3 && !lvsi ? vbt : pelvicBoost, List.of(vbt, pelvicBoost, pelvic));
    return new Draft(d, "C54.1", r.chance(0.8) ? vbt : vbt5, List.of(vbt, vbt5, pelvic));
  }
}
