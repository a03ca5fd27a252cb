package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;
import static dev.lorakit.eval.synth.Words.side;

import java.util.List;

/**
 * Adult diffuse glioma of a cerebral lobe (C71.1 frontal, C71.2 temporal, C71.3 parietal).
 * Glioblastoma: 60 Gy in 30 with temozolomide (Stupp, EORTC/NCIC) when under 70 and fit; 40 Gy in
 * 15 with temozolomide for older or less fit patients (Perry), 25 Gy in 5 when frail (Roa).
 * IDH-mutant grade 2-3 gliomas: 54-59.4 Gy then temozolomide (CATNON) or PCV when 1p/19q-codeleted
 * (RTOG 9402, EORTC 26951); protons in young patients to spare cognition (NRG BN005).
 */
final class Glioma implements Site {

  private static final String[] LOBE = {"frontal", "temporal", "parietal"};
  private static final String[] CODE = {"C71.1", "C71.2", "C71.3"};

  @Override
  public double weight() {
    return 4.5;
  }

  @Override
  public Draft draw(Chance r) {
    int lobe = r.weighted(0.45, 0.35, 0.2);
    boolean male = r.chance(0.58);
    int kind =
        r.weighted(
            0.7, 0.14, 0.1, 0.06); // GBM, IDH-mutant astrocytoma G3, oligodendroglioma G3, astro G2
    int age = kind == 0 ? r.age(63, 11, 25, 88) : r.age(40, 11, 20, 75);
    int kps = 40 + 10 * r.weighted(0.04, 0.08, 0.13, 0.22, 0.28, 0.17, 0.08);
    String resection = r.pick("gross total resection", "subtotal resection", "biopsy only");
    String where = side(r.chance(0.5)) + " " + LOBE[lobe] + " lobe";
    String lesion =
        switch (kind) {
          case 0 ->
              "glioblastoma, IDH-wildtype, WHO grade 4, MGMT promoter "
                  + (r.chance(0.45) ? "methylated" : "unmethylated");
          case 1 -> "astrocytoma, IDH-mutant, WHO grade 3";
          case 2 -> "oligodendroglioma, IDH-mutant and 1p/19q-codeleted, WHO grade 3";
          default -> "astrocytoma, IDH-mutant, WHO grade 2, with residual enhancing disease";
        };
    String d =
        person(age, male)
            + " with "
            + lesion
            + " of the "
            + where
            + ", after "
            + resection
            + ". KPS "
            + kps
            + ". "
            + r.pick(
                "Presented with seizures",
                "Presented with headaches",
                "Presented with dysphasia",
                "Presented with weakness")
            + ". Adjuvant radiotherapy.";

    boolean young = age < 40;
    return switch (kind) {
      case 0 -> {
        Plan stupp =
            Plan.photon(
                "Radiotherapy " + dose(60, 30) + " with concurrent and adjuvant temozolomide.");
        Plan perry =
            Plan.photon(
                "Short-course radiotherapy "
                    + dose(40, 15)
                    + " with concurrent and adjuvant temozolomide.");
        Plan roa = Plan.photon("Short-course radiotherapy " + dose(25, 5) + " to the tumour.");
        Plan plan = age < 70 && kps >= 70 ? stupp : (kps >= 60 ? perry : roa);
        yield new Draft(d, CODE[lobe], plan, List.of(stupp, perry, roa));
      }
      case 2 -> {
        Plan photon =
            Plan.photon("Radiotherapy " + dose(59.4, 33) + " followed by PCV chemotherapy.");
        Plan proton =
            Plan.proton("Proton therapy " + rbe(59.4, 33) + " followed by PCV chemotherapy.");
        yield new Draft(d, CODE[lobe], young ? proton : photon, List.of(photon, proton));
      }
      default -> {
        double gy = kind == 1 ? 59.4 : 54;
        int fx = kind == 1 ? 33 : 30;
        Plan photon =
            Plan.photon("Radiotherapy " + dose(gy, fx) + " followed by adjuvant temozolomide.");
        Plan proton =
            Plan.proton("Proton therapy " + rbe(gy, fx) + " followed by adjuvant temozolomide.");
        yield new Draft(d, CODE[lobe], young ? proton : photon, List.of(photon, proton));
      }
    };
  }
}
