package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.ecog;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;

import java.util.List;
import java.util.Locale;

/**
 * Prostate adenocarcinoma (C61). NCCN-style risk group from T stage, Gleason grade group and PSA
 * drives the plan: seed (LDR) or HDR monotherapy for low and favourable intermediate risk with a
 * gland under 60 cc and few urinary symptoms (HDR with short hormone therapy for unfavourable
 * intermediate risk), otherwise five-fraction SBRT (PACE) or 60 Gy in 20 (CHHiP); unfavourable
 * intermediate risk adds short hormone therapy; high risk 78 Gy in 39 or 70 Gy in 28 with long
 * hormone therapy, or an HDR boost; salvage after prostatectomy 66 Gy in 33 (RADICALS-RT); protons
 * when inflammatory bowel disease makes rectal sparing paramount.
 */
final class Prostate implements Site {

  private static final String[] T = {"T1c", "T2a", "T2b", "T2c", "T3a", "T3b"};
  private static final String[] GLEASON = {"3+3=6", "3+4=7", "4+3=7", "4+4=8", "4+5=9"};

  @Override
  public double weight() {
    return 14;
  }

  @Override
  public Draft draw(Chance r) {
    int age = r.age(69, 7, 48, 88);
    int ps = r.weighted(0.6, 0.35, 0.05);
    if (r.chance(0.12)) return salvage(r, age, ps);
    int t = r.weighted(0.4, 0.2, 0.1, 0.1, 0.13, 0.07);
    int gg = r.weighted(0.28, 0.34, 0.18, 0.12, 0.08); // ISUP grade group - 1
    double psa =
        Math.round(Math.min(80, Math.max(2.5, Math.exp(Math.log(8) + 0.55 * r.gaussian()))) * 10)
            / 10.0;
    int volume = r.between(22, 85);
    int ipss = r.between(2, 22);
    boolean ibd = r.chance(0.08);

    boolean high = t >= 4 || gg >= 3 || psa > 20;
    int intermediateFactors =
        (t == 2 || t == 3 ? 1 : 0) + (gg == 1 || gg == 2 ? 1 : 0) + (psa >= 10 ? 1 : 0);
    boolean low = !high && intermediateFactors == 0;
    boolean favourable = !high && !low && intermediateFactors == 1 && gg <= 1;
    String risk =
        high
            ? "high risk"
            : low
                ? "low risk"
                : favourable ? "favourable intermediate risk" : "unfavourable intermediate risk";

    String d =
        person(age, true)
            + " with adenocarcinoma of the prostate, Gleason "
            + GLEASON[gg]
            + " (grade group "
            + (gg + 1)
            + "), PSA "
            + Words.oneDecimal(psa)
            + " ng/mL, c"
            + T[t]
            + " N0 M0, "
            + risk
            + ". Prostate volume "
            + volume
            + " cc, IPSS "
            + ipss
            + ". "
            + (ibd ? r.pick("Ulcerative colitis", "Crohn's disease") + ". " : "")
            + ecog(r, ps)
            + ". Radical intent.";

    Plan ldr =
        Plan.brachy(
            "Low-dose-rate iodine-125 seed brachytherapy, 145 Gy prescribed to the prostate.");
    Plan hdr = Plan.brachy("High-dose-rate brachytherapy monotherapy " + dose(27, 2) + ".");
    Plan hdrAdt =
        Plan.brachy(
            "High-dose-rate brachytherapy monotherapy "
                + dose(27, 2)
                + " with 6 months of androgen deprivation.");
    Plan sbrt =
        Plan.photon("Stereotactic body radiotherapy " + dose(36.25, 5) + " to the prostate.");
    Plan chhip = Plan.photon("Image-guided IMRT " + dose(60, 20) + " to the prostate.");
    Plan chhipAdt =
        Plan.photon(
            "Image-guided IMRT "
                + dose(60, 20)
                + " to the prostate with 6 months of androgen deprivation.");
    Plan seventyAdt =
        Plan.photon(
            "IMRT " + dose(70, 28) + " to the prostate with 6 months of androgen deprivation.");
    Plan escalated =
        Plan.photon(
            "IMRT "
                + dose(78, 39)
                + " to the prostate and seminal vesicles with "
                + "24 months of androgen deprivation.");
    Plan pelvic =
        Plan.photon(
            "IMRT "
                + dose(70, 28)
                + " to the prostate with pelvic nodes to "
                + Words.gy(50.4)
                + " Gy and 24 months of androgen deprivation.");
    Plan hdrBoost =
        Plan.photon(
            "Pelvic radiotherapy "
                + dose(46, 23)
                + " with an HDR brachytherapy boost of 15 Gy "
                + "and 18 months of androgen deprivation.");
    Plan proton =
        Plan.proton(
            "Proton therapy "
                + rbe(70, 28)
                + " to the prostate"
                + (high || !favourable && !low ? " with androgen deprivation." : "."));

    Plan plan;
    List<Plan> others;
    if (ibd && !high) {
      plan = proton;
      others = List.of(sbrt, chhip, ldr);
    } else if ((low || favourable) && volume < 60 && ipss < 18) {
      plan = r.chance(0.7) ? ldr : hdr;
      others = List.of(ldr, hdr, sbrt);
    } else if (!high && volume < 60 && ipss < 18) {
      plan = hdrAdt;
      others = List.of(chhipAdt, seventyAdt, hdr);
    } else if (low || favourable) {
      plan = r.chance(0.5) ? sbrt : chhip;
      others = List.of(sbrt, chhip, ldr);
    } else if (!high) {
      plan = r.chance(0.6) ? chhipAdt : seventyAdt;
      others = List.of(chhipAdt, seventyAdt, escalated);
    } else {
      plan =
          switch (r.weighted(0.4, 0.35, volume < 60 && age < 76 ? 0.25 : 0)) {
            case 0 -> escalated;
            case 1 -> pelvic;
            default -> hdrBoost;
          };
      others = List.of(escalated, pelvic, hdrBoost);
    }
    return new Draft(d, "C61", plan, others);
  }

  private Draft salvage(Chance r, int age, int ps) {
    double psa = r.between(0.1, 0.9, 2);
    int gg = r.between(2, 4);
    String d =
        person(age, true)
            + " with biochemical recurrence "
            + r.between(1, 6)
            + " years after radical "
            + "prostatectomy for pT"
            + r.pick("2", "3a", "3b")
            + " N0 adenocarcinoma, grade group "
            + gg
            + ", margins "
            + r.pick("positive", "negative")
            + ". PSA rising to "
            + String.format(Locale.ROOT, "%.2f", psa)
            + " ng/mL, PSMA PET negative. "
            + ecog(r, ps)
            + ". Salvage intent.";
    boolean adt = psa > 0.5 || gg >= 4;
    Plan bed =
        Plan.photon(
            "Salvage radiotherapy "
                + dose(66, 33)
                + " to the prostate bed"
                + (adt ? " with 6 months of androgen deprivation." : "."));
    Plan bedHypo = Plan.photon("Salvage radiotherapy " + dose(52.5, 20) + " to the prostate bed.");
    Plan bedPelvis =
        Plan.photon(
            "Salvage radiotherapy "
                + dose(70, 35)
                + " to the prostate bed and pelvic nodes with "
                + "androgen deprivation.");
    return new Draft(d, "C61", r.chance(0.8) ? bed : bedHypo, List.of(bed, bedHypo, bedPelvis));
  }
}
