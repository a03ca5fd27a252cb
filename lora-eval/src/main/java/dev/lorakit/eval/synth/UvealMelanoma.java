package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;
import static dev.lorakit.eval.synth.Words.side;

import java.util.List;

/**
 * Choroidal melanoma (C69.31 right, C69.32 left). Plaque brachytherapy with 85 Gy to the apex
 * (COMS): ruthenium-106 up to 5 mm thick, iodine-125 up to 8 mm; protons, 60 Gy(RBE) in 4
 * fractions, for thicker tumours and for tumours within 2 mm of the optic disc, where a plaque
 * cannot sit well.
 */
final class UvealMelanoma implements Site {

  @Override
  public double weight() {
    return 1.6;
  }

  @Override
  public Draft draw(Chance r) {
    boolean right = r.chance(0.5);
    boolean male = r.chance(0.5);
    int age = r.age(62, 12, 25, 90);
    double height = r.between(1.5, 11.5, 1);
    int basal = (int) Math.min(19, Math.round(height * 1.4 + r.between(3, 8)));
    double disc = r.chance(0.25) ? r.between(0.0, 1.9, 1) : r.between(2.0, 10.0, 1);
    String d =
        person(age, male)
            + " with choroidal melanoma of the "
            + side(right)
            + " eye, apical height "
            + Words.oneDecimal(height)
            + " mm, largest basal diameter "
            + basal
            + " mm, "
            + Words.oneDecimal(disc)
            + " mm from the optic disc, "
            + r.pick("no extraocular extension", "no metastases on liver MRI")
            + ". Eye-preserving treatment.";
    String code = right ? "C69.31" : "C69.32";
    Plan ruthenium = Plan.brachy("Ruthenium-106 plaque brachytherapy, 85 Gy to the tumour apex.");
    Plan iodine = Plan.brachy("Iodine-125 plaque brachytherapy, 85 Gy to the tumour apex.");
    Plan proton =
        Plan.proton("Proton beam therapy " + rbe(60, 4) + " to the " + side(right) + " eye.");
    Plan plan = disc < 2 || height > 8 ? proton : height <= 5 ? ruthenium : iodine;
    return new Draft(d, code, plan, List.of(ruthenium, iodine, proton));
  }
}
