package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a dataset holds: how many cases per modality, per ICD-10 code and per site ({@link
 * CancerSites}).
 *
 * @param cases the number of cases
 * @param modalities cases per modality, every modality present (zero if none)
 * @param codes cases per ICD-10 code, sorted by code
 * @param sites cases per site, sorted by site name
 */
public record CaseSummary(
    int cases,
    Map<Modality, Integer> modalities,
    Map<String, Integer> codes,
    Map<String, Integer> sites) {

  public CaseSummary {
    modalities = Collections.unmodifiableMap(new EnumMap<>(modalities));
    codes = Collections.unmodifiableMap(new TreeMap<>(codes));
    sites = Collections.unmodifiableMap(new TreeMap<>(sites));
  }

  /**
   * Counts {@code cases}.
   *
   * @throws LorakitInputException if a case lacks its modality or ICD-10 code
   */
  public static CaseSummary of(Collection<Case> cases) {
    Map<Modality, Integer> modalities = new EnumMap<>(Modality.class);
    for (Modality m : Modality.values()) modalities.put(m, 0);
    Map<String, Integer> codes = new TreeMap<>();
    Map<String, Integer> sites = new TreeMap<>();
    for (Case c : cases) {
      if (!c.has(Task.MODALITY) || !c.has(Task.ICD10)) {
        throw new LorakitInputException(
            "cannot summarise case '" + c.id() + "': it lacks its modality or code.");
      }
      modalities.merge(c.modality(), 1, Integer::sum);
      codes.merge(c.icd10(), 1, Integer::sum);
      sites.merge(CancerSites.of(c.icd10()), 1, Integer::sum);
    }
    return new CaseSummary(cases.size(), modalities, codes, sites);
  }

  /** The share of cases with modality {@code m}, 0 to 1. */
  public double share(Modality m) {
    return cases == 0 ? 0 : modalities.get(m) / (double) cases;
  }

  /** A plain-text table: the modality mix, then each site with its codes and counts. */
  public String format() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%d cases, %d ICD-10 codes over %d sites%n%n",
            cases,
            codes.size(),
            sites.size()));
    b.append(String.format(Locale.ROOT, "%-15s %7s %7s%n", "modality", "cases", "%"));
    for (Map.Entry<Modality, Integer> e : modalities.entrySet()) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-15s %7d %7.1f%n",
              e.getKey().wireName(),
              e.getValue(),
              100.0 * share(e.getKey())));
    }
    b.append(String.format(Locale.ROOT, "%n%-26s %6s  %s%n", "site", "cases", "codes (cases)"));
    for (Map.Entry<String, Integer> site : sites.entrySet()) {
      StringBuilder list = new StringBuilder();
      for (Map.Entry<String, Integer> code : codes.entrySet()) {
        if (!CancerSites.of(code.getKey()).equals(site.getKey())) continue;
        if (!list.isEmpty()) list.append(", ");
        list.append(code.getKey()).append(" (").append(code.getValue()).append(')');
      }
      b.append(String.format(Locale.ROOT, "%-26s %6d  %s%n", site.getKey(), site.getValue(), list));
    }
    return b.toString();
  }
}
