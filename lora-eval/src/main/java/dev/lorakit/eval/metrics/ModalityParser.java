package dev.lorakit.eval.metrics;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A simple modality parser: the whole answer, lower-cased and trimmed of spaces and final punctuation, is
 * looked up among the four modalities and their synonyms (IMRT, VMAT, 3D-CRT, SBRT, SRS are photon
 * techniques; HDR, LDR, seed implant, plaque are brachytherapy; proton beam, PBS are proton; electron beam,
 * TSEBT are electron). Failing that, the answer is searched for those terms as whole words, and accepted
 * when they all point to one modality.
 */
final class ModalityParser implements AnswerParser {

  private static final Map<String, String> TERMS = new LinkedHashMap<>();

  static {
    for (String m : new String[] {"photon", "proton", "electron", "brachytherapy"}) {
      TERMS.put(m, m);
      TERMS.put(m + "s", m);
    }
    for (String t : new String[] {"imrt", "vmat", "3d-crt", "3dcrt", "sbrt", "srs", "photon beam", "x-ray", "x-rays"}) {
      TERMS.put(t, "photon");
    }
    for (String t : new String[] {"hdr", "ldr", "seed implant", "seed implants", "plaque", "plaque brachytherapy"}) {
      TERMS.put(t, "brachytherapy");
    }
    for (String t : new String[] {"proton beam", "proton therapy", "pbs"}) TERMS.put(t, "proton");
    for (String t : new String[] {"electron beam", "electron therapy", "tsebt"}) TERMS.put(t, "electron");
  }

  private static final Pattern ANY_TERM = wordAlternation(TERMS.keySet());

  @Override
  public Optional<String> parse(String raw) {
    if (raw == null) return Optional.empty();
    String s = raw.toLowerCase(Locale.ROOT).strip().replaceAll("[.!;:,]+$", "").strip().replaceAll("\\s+", " ");
    String exact = TERMS.get(s);
    if (exact != null) return Optional.of(exact);
    Set<String> found = new LinkedHashSet<>();
    Matcher m = ANY_TERM.matcher(s);
    while (m.find()) found.add(TERMS.get(m.group(1)));
    return found.size() == 1 ? Optional.of(found.iterator().next()) : Optional.empty();
  }

  private static Pattern wordAlternation(Set<String> terms) {
    StringBuilder b = new StringBuilder("(?<![a-z0-9])(");
    // Longer terms first, so "proton beam" wins over "proton".
    terms.stream().sorted((x, y) -> y.length() - x.length()).forEach(t -> b.append(Pattern.quote(t)).append('|'));
    b.setLength(b.length() - 1);
    return Pattern.compile(b.append(")(?![a-z0-9])").toString());
  }
}
