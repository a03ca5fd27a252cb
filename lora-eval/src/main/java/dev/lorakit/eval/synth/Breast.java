package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;
import static dev.lorakit.eval.synth.Words.side;

import java.util.List;

/**
 * Breast cancer after surgery. Laterality and quadrant give the code (C50.41x upper outer, C50.21x
 * upper inner, C50.91x unspecified; x = 1 right, 2 left). Whole-breast hypofractionation (START B,
 * Ontario), one-week 26 Gy (FAST-Forward) or partial breast for low risk in older women (IMPORT
 * LOW, NSABP B-39), a tumour-bed boost when young, grade 3 or margins close (EORTC boost trial),
 * post-mastectomy and nodal radiotherapy when node-positive or pT3, protons for left-sided nodal
 * treatment with heart disease.
 */
final class Breast implements Site {

  @Override
  public double weight() {
    return 22;
  }

  @Override
  public Draft draw(Chance r) {
    int age = r.age(60, 12, 28, 90);
    boolean right = r.chance(0.5);
    int quadrant = r.weighted(0.5, 0.15, 0.35);
    String code =
        "C50." + (quadrant == 0 ? "41" : quadrant == 1 ? "21" : "91") + (right ? "1" : "2");
    String where =
        switch (quadrant) {
          case 0 -> "upper outer quadrant of the " + side(right) + " breast";
          case 1 -> "upper inner quadrant of the " + side(right) + " breast";
          default -> side(right) + " breast";
        };
    boolean lobular = r.chance(0.15);
    int grade = 1 + r.weighted(0.25, 0.45, 0.3);
    int t = 1 + r.weighted(0.55, 0.35, 0.1);
    int n = r.weighted(0.65, 0.25, 0.1);
    boolean er = r.chance(0.8);
    boolean her2 = r.chance(0.15);
    boolean mastectomy = (t == 3 || n > 0) && r.chance(0.45);
    boolean reconstruction = mastectomy && age < 60 && r.chance(0.5);
    boolean closeMargin = !mastectomy && r.chance(0.15);
    boolean heart = !right && n > 0 && r.chance(0.4);
    int ps = r.weighted(0.6, 0.35, 0.05);

    StringBuilder d = new StringBuilder();
    d.append(person(age, false))
        .append(" with ")
        .append(
            lobular
                ? "invasive lobular carcinoma"
                : r.pick("invasive ductal carcinoma", "invasive carcinoma of no special type"))
        .append(" of the ")
        .append(where)
        .append(", grade ")
        .append(grade)
        .append(", pT")
        .append(t)
        .append(" pN")
        .append(n)
        .append(" M0, ER ")
        .append(er ? "positive" : "negative")
        .append(", HER2 ")
        .append(her2 ? "positive" : "negative")
        .append(". ");
    if (mastectomy) {
      d.append(reconstruction ? "Mastectomy with immediate implant reconstruction" : "Mastectomy")
          .append(n > 0 ? " and axillary clearance" : "")
          .append(". ");
    } else {
      d.append(r.pick("Wide local excision", "Breast-conserving surgery", "Lumpectomy"))
          .append(closeMargin ? " with a close posterior margin of 1 mm" : ", margins clear")
          .append(n > 0 ? ", sentinel node positive" : "")
          .append(". ");
    }
    if (heart)
      d.append(r.pick("History of coronary artery disease", "Prior myocardial infarction"))
          .append(". ");
    d.append(ecog(r, ps)).append(". Adjuvant radiotherapy.");

    boolean lowRisk =
        !mastectomy && age >= 65 && t == 1 && n == 0 && er && grade < 3 && !closeMargin;
    boolean boost = !mastectomy && (age < 50 || grade == 3 || closeMargin);
    String boostText =
        boost
            ? r.pick(
                " followed by an electron boost of " + dose(10, 4),
                " followed by an electron boost of " + dose(10, 5),
                " followed by a photon boost of " + dose(10, 5))
            : "";
    String sideText = side(right);

    Plan wholeBreast =
        Plan.photon("Hypofractionated whole-breast radiotherapy " + dose(40, 15) + boostText + ".");
    Plan ontario = Plan.photon("Whole-breast radiotherapy " + dose(42.5, 16) + boostText + ".");
    Plan oneWeek = Plan.photon("Whole-breast radiotherapy " + dose(26, 5) + " over one week.");
    Plan partial =
        Plan.photon("Partial-breast radiotherapy " + dose(26, 5) + " to the tumour bed.");
    Plan interstitial =
        Plan.brachy(
            "Multicatheter interstitial HDR brachytherapy to the tumour bed, "
                + dose(34, 10)
                + " twice daily.");
    Plan nodal =
        Plan.photon(
            "Whole-breast and regional nodal radiotherapy " + dose(40, 15) + boostText + ".");
    Plan pmrt50 =
        Plan.photon(
            "Post-mastectomy radiotherapy "
                + dose(50, 25)
                + " to the "
                + sideText
                + " chest wall and regional nodes.");
    Plan pmrt40 =
        Plan.photon(
            "Post-mastectomy radiotherapy "
                + dose(40, 15)
                + " to the "
                + sideText
                + " chest wall and regional nodes.");
    Plan pmrtElectron =
        Plan.electron(
            "Electron chest wall radiotherapy "
                + dose(50, 25)
                + " with photons to the supraclavicular fossa.");
    Plan proton =
        Plan.proton(
            "Proton therapy "
                + rbe(50, 25)
                + " to the "
                + sideText
                + (mastectomy ? " chest wall" : " breast")
                + " and regional nodes including the internal mammary chain.");

    Plan plan;
    List<Plan> others;
    if (heart) {
      plan = proton;
      others = List.of(mastectomy ? pmrt50 : nodal, mastectomy ? pmrt40 : wholeBreast);
    } else if (mastectomy) {
      plan = reconstruction ? pmrt50 : pmrt40;
      others = List.of(pmrt50, pmrt40, pmrtElectron);
    } else if (lowRisk) {
      plan =
          switch (r.weighted(0.5, 0.25, 0.25)) {
            case 0 -> oneWeek;
            case 1 -> partial;
            default -> interstitial;
          };
      others = List.of(oneWeek, partial, interstitial, wholeBreast);
    } else if (n > 0) {
      plan = nodal;
      others =
          List.of(
              wholeBreast,
              Plan.photon("Whole-breast and regional nodal radiotherapy " + dose(50, 25) + "."));
    } else {
      plan = r.chance(0.75) ? wholeBreast : ontario;
      others = List.of(wholeBreast, ontario, oneWeek);
    }
    return new Draft(d.toString(), code, plan, others);
  }
}
