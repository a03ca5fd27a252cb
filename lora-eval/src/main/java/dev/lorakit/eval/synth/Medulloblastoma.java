package dev.lorakit.eval.synth;

import static dev.lorakit.eval.synth.Words.dose;
import static dev.lorakit.eval.synth.Words.person;
import static dev.lorakit.eval.synth.Words.rbe;

import java.util.List;

/**
 * Medulloblastoma of the cerebellum (C71.6). Children get proton craniospinal irradiation to spare
 * growth, heart and cognition: 23.4 Gy(RBE) for standard risk (COG ACNS0331, SIOP PNET 4), 36
 * Gy(RBE) for high risk (metastatic, residual over 1.5 cm2, MYC-amplified; COG ACNS0332), a boost
 * to 54 Gy(RBE), with vincristine. Adults are treated with photons.
 */
final class Medulloblastoma implements Site {

  @Override
  public double weight() {
    return 1.4;
  }

  @Override
  public Draft draw(Chance r) {
    boolean child = r.chance(0.8);
    int age = child ? r.between(3, 17) : r.between(18, 45);
    boolean male = r.chance(0.6);
    boolean metastatic = r.chance(0.25);
    boolean residual = r.chance(0.2);
    boolean myc = r.chance(0.08);
    boolean high = metastatic || residual || myc;
    String d =
        person(age, male)
            + " with medulloblastoma of the "
            + r.pick("cerebellar vermis", "fourth ventricle", "cerebellum")
            + ", "
            + r.pick("SHH-activated", "group 3", "group 4", "WNT-activated")
            + (myc ? ", MYC-amplified" : "")
            + ", after "
            + (residual ? "subtotal resection with 2 cm2 residual" : "gross total resection")
            + ". "
            + (metastatic
                ? "M2, nodular leptomeningeal disease on spinal MRI"
                : "M0, spinal MRI and CSF clear")
            + ". "
            + (high ? "High risk" : "Standard risk")
            + ". Curative intent.";
    double csi = high ? 36 : 23.4;
    int csiFx = high ? 20 : 13;
    Plan proton =
        Plan.proton(
            "Proton craniospinal irradiation "
                + rbe(csi, csiFx)
                + " with a tumour-bed boost to "
                + "54 Gy(RBE) and weekly vincristine.");
    Plan photon =
        Plan.photon(
            "Craniospinal irradiation "
                + dose(csi, csiFx)
                + " with a posterior fossa boost to 54 Gy "
                + "in 30 fractions.");
    return new Draft(d, "C71.6", child ? proton : photon, List.of(proton, photon));
  }
}
