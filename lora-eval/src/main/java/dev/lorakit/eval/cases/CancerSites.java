package dev.lorakit.eval.cases;

import java.util.Map;

/**
 * The anatomical site of an ICD-10 neoplasm code, for summaries and per-site breakdowns. Matched by
 * the longest known prefix of the canonical code (so C79.31 is "brain metastases" and C79.51 "bone
 * metastases"); a code outside the table is reported under its category, e.g. "other (C56)".
 */
public final class CancerSites {

  private static final Map<String, String> BY_PREFIX =
      Map.ofEntries(
          Map.entry("C00", "lip and oral cavity"),
          Map.entry("C02", "lip and oral cavity"),
          Map.entry("C03", "lip and oral cavity"),
          Map.entry("C04", "lip and oral cavity"),
          Map.entry("C05", "lip and oral cavity"),
          Map.entry("C06", "lip and oral cavity"),
          Map.entry("C01", "oropharynx"),
          Map.entry("C09", "oropharynx"),
          Map.entry("C10", "oropharynx"),
          Map.entry("C11", "nasopharynx"),
          Map.entry("C12", "hypopharynx"),
          Map.entry("C13", "hypopharynx"),
          Map.entry("C15", "oesophagus"),
          Map.entry("C16", "stomach"),
          Map.entry("C18", "colon"),
          Map.entry("C19", "rectum"),
          Map.entry("C20", "rectum"),
          Map.entry("C21", "anus"),
          Map.entry("C22", "liver"),
          Map.entry("C25", "pancreas"),
          Map.entry("C32", "larynx"),
          Map.entry("C34", "lung"),
          Map.entry("C40", "bone"),
          Map.entry("C41.0", "skull base"),
          Map.entry("C41", "bone"),
          Map.entry("C43", "skin (melanoma)"),
          Map.entry("C44", "skin"),
          Map.entry("C49", "soft tissue"),
          Map.entry("C50", "breast"),
          Map.entry("C51", "vulva"),
          Map.entry("C53", "cervix"),
          Map.entry("C54", "endometrium"),
          Map.entry("C56", "ovary"),
          Map.entry("C61", "prostate"),
          Map.entry("C62", "testis"),
          Map.entry("C64", "kidney"),
          Map.entry("C67", "bladder"),
          Map.entry("C69", "eye"),
          Map.entry("C71", "brain"),
          Map.entry("C71.6", "cerebellum"),
          Map.entry("C72", "spinal cord and cranial nerves"),
          Map.entry("C73", "thyroid"),
          Map.entry("C79.3", "brain metastases"),
          Map.entry("C79.5", "bone metastases"),
          Map.entry("C81", "Hodgkin lymphoma"),
          Map.entry("C83", "non-Hodgkin lymphoma"),
          Map.entry("C84", "cutaneous T-cell lymphoma"),
          Map.entry("C90", "myeloma"));

  private CancerSites() {}

  /** The site of a canonical ICD-10 code ({@link Icd10#canonical}). */
  public static String of(String canonicalCode) {
    for (int len = canonicalCode.length(); len >= 3; len--) {
      String site = BY_PREFIX.get(canonicalCode.substring(0, len));
      if (site != null) return site;
    }
    return "other (" + Icd10.category(canonicalCode) + ")";
  }
}
