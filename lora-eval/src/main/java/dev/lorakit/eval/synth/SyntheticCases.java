package dev.lorakit.eval.synth;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import java.util.ArrayList;
import java.util.List;

/**
 * A generator of clinically plausible radiation-oncology cases, for building and testing the
 * pipeline without patient data. Twenty disease sites, drawn with department-like frequencies, each
 * with its own rules from patient features (age, sex, laterality, histology, stage, biomarkers,
 * performance status, prior treatment, intent) to the regimen and modality a guideline or landmark
 * trial would give; docs/SYNTHETIC_DATA.md lists the sources.
 *
 * <p>Label noise: with probability {@code noise} a case's plan (regimen and modality) is replaced
 * by another plan that is plausible for the same patient, so a model can learn the rules but cannot
 * reach 100%. The ICD-10 code is never noised.
 *
 * <p>Deterministic: case {@code i} depends only on the seed, the noise rate and {@code i}, so the
 * same seed gives the same cases on any machine, and the first cases of a long run equal a short
 * run's.
 */
public final class SyntheticCases {

  /** The default label-noise rate. */
  public static final double DEFAULT_NOISE = 0.05;

  private static final List<Site> SITES =
      List.of(
          new Breast(),
          new Prostate(),
          new Lung(),
          new BoneMetastases(),
          new BrainMetastases(),
          new Glioma(),
          new Oropharynx(),
          new Rectum(),
          new Cervix(),
          new Endometrium(),
          new SkinOfFace(),
          new Oesophagus(),
          new Pancreas(),
          new Bladder(),
          new Larynx(),
          new Liver(),
          new UvealMelanoma(),
          new Medulloblastoma(),
          new SkullBase(),
          new MycosisFungoides());

  private final long seed;
  private final double noise;
  private final double[] weights;

  /**
   * @param seed any value; the same seed gives the same cases
   * @param noise label-noise rate, 0 to 1
   */
  public SyntheticCases(long seed, double noise) {
    if (!(noise >= 0 && noise <= 1))
      throw new LorakitInputException("noise is " + noise + ", expected 0 to 1.");
    this.seed = seed;
    this.noise = noise;
    this.weights = SITES.stream().mapToDouble(Site::weight).toArray();
  }

  /** The first {@code n} cases. */
  public List<Case> generate(int n) {
    if (n < 1)
      throw new LorakitInputException("the number of cases is " + n + ", expected at least 1.");
    List<Case> cases = new ArrayList<>(n);
    for (int i = 0; i < n; i++) cases.add(caseAt(i));
    return cases;
  }

  /** Case number {@code index} (from 0), with id {@code synth-<seed>-<index + 1>}. */
  public Case caseAt(int index) {
    Chance r = new Chance(mix(seed, index));
    Draft draft = SITES.get(r.weighted(weights)).draw(r);
    Plan plan = draft.plan();
    if (r.chance(noise)) plan = r.pick(draft.alternatives());
    String number = Integer.toString(index + 1);
    String id = "synth-" + seed + "-" + "0".repeat(Math.max(0, 5 - number.length())) + number;
    return new Case(id, draft.diagnosis(), plan.regimen(), plan.modality(), draft.icd10());
  }

  // SplitMix64's finaliser: neighbouring indices get unrelated streams.
  private static long mix(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + (index + 1) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
