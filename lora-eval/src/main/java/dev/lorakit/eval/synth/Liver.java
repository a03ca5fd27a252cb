package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;

import java.util.List;

/**
 * Hepatocellular carcinoma (C22.0). Up to 5 cm, Child-Pugh A, no vascular invasion: SBRT 45 Gy in 3
 * (up to 3 cm) or 40 Gy in 5. Larger tumours, portal vein tumour thrombus or Child-Pugh B: protons,
 * 67.5 Gy(RBE) in 15, or 58.05 Gy(RBE) in 15 near the hilum (Hong et al.; NRG GI003).
 */
final class Liver implements Site {

  @Override
  public double weight() {
    return 3;
  }

  @Override
  public Draft draw(Chance r) {
    boolean male = r.chance(0.75);
    int age = r.age(66, 10, 35, 88);
    double size = r.chance(0.55) ? r.between(1.5, 5.0, 1) : r.between(5.1, 11.0, 1);
    boolean thrombus = r.chance(0.2);
    String childPugh = r.pick("A5", "A5", "A6", "B7");
    boolean central = r.chance(0.25);
    String d =
        person(age, male)
            + " with hepatocellular carcinoma on a background of "
            + r.pick("hepatitis B", "hepatitis C", "alcohol-related", "MASLD")
            + " cirrhosis, Child-Pugh "
            + childPugh
            + ", a "
            + Words.oneDecimal(size)
            + " cm "
            + (central
                ? "central tumour near the porta hepatis"
                : "peripheral tumour in segment " + r.between(5, 8))
            + (thrombus ? " with portal vein tumour thrombus" : "")
            + ", AFP "
            + r.between(5, 900)
            + " ng/mL. "
            + ecog(r, r.between(0, 1))
            + ". Not suitable for resection.";
    Plan sbrt3 =
        Plan.photon("Stereotactic body radiotherapy " + dose(45, 3) + " to the liver tumour.");
    Plan sbrt5 =
        Plan.photon("Stereotactic body radiotherapy " + dose(40, 5) + " to the liver tumour.");
    Plan proton =
        Plan.proton("Proton therapy " + rbe(central ? 58.05 : 67.5, 15) + " to the liver tumour.");
    boolean small = size <= 5 && !thrombus && childPugh.startsWith("A");
    Plan plan = small ? (size <= 3 && !central ? sbrt3 : sbrt5) : proton;
    return new Draft(d, "C22.0", plan, List.of(sbrt3, sbrt5, proton));
  }
}
