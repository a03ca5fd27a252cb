package dev.lorakit.eval.answer;

import dev.lorakit.eval.cases.Modality;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the treatment modality in a free-text answer.
 *
 * <p>The rule: every word or phrase that names a modality is a mention (case-insensitive, whole
 * words: "photon", "IMRT", "VMAT", "3D-CRT", "SBRT", "SABR", "SRS", "x-ray", "external beam",
 * "linac" ... are photon; "proton", "proton beam", "PBS", "IMPT", "Gy(RBE)" are proton; "electron",
 * "electron beam", "TSEBT" are electron; "brachytherapy", "brachy", "HDR", "LDR", "seed implant",
 * "plaque", "I-125" are brachytherapy). A mention negated by "no", "not", "without", "never",
 * "avoid", "instead of" or "rather than" at most three words before it, in the same clause, does
 * not count (a clause ends at punctuation or at "but", "and", "then", "so", "use"). The answer is
 * the modality of the first mention that counts. Regimens name the main course first, so for a
 * combined treatment ("45 Gy EBRT then HDR brachytherapy 28 Gy in 4") this is the modality of the
 * main course. No mention: empty.
 */
public final class ModalityParser {

  private static final Map<Modality, List<String>> SYNONYMS =
      Map.of(
          Modality.PHOTON,
              List.of(
                  "photons?",
                  "x[- ]?rays?",
                  "imrt",
                  "vmat",
                  "3d[- ]?crt",
                  "3d[- ]?conformal",
                  "sbrt",
                  "sabr",
                  "srs",
                  "fsrt",
                  "stereotactic(?: ablative| body)? radio(?:therapy|surgery)",
                  "radiosurgery",
                  "gamma ?knife",
                  "cyber ?knife",
                  "tomotherapy",
                  "linac",
                  "linear accelerator",
                  "megavoltage",
                  "kilovoltage",
                  "orthovoltage",
                  "superficial x[- ]?rays?",
                  "ebrt",
                  "external[- ]beam",
                  "intensity[- ]modulated (?:radiotherapy|radiation)",
                  "volumetric[- ]modulated arc(?: therapy)?"),
          Modality.PROTON,
              List.of(
                  "protons?",
                  "proton[- ]beam",
                  "pbs",
                  "pencil[- ]beam scanning",
                  "impt",
                  "intensity[- ]modulated proton(?: therapy)?",
                  "gy ?\\(rbe\\)",
                  "cge",
                  "gye"),
          Modality.ELECTRON,
              List.of(
                  "electrons?",
                  "electron[- ]beam",
                  "tsebt",
                  "tset",
                  "tsei",
                  "total[- ]skin electrons?",
                  "mev electrons?"),
          Modality.BRACHYTHERAPY,
              List.of(
                  "brachy",
                  "brachytherapy",
                  "hdr",
                  "ldr",
                  "pdr",
                  "seeds?",
                  "seed implants?",
                  "seed implantation",
                  "plaques?",
                  "interstitial",
                  "intracavitary",
                  "intraluminal",
                  "surface[- ]moulds?",
                  "surface[- ]molds?",
                  "i[- ]?125",
                  "iodine[- ]125",
                  "ru[- ]?106",
                  "ruthenium[- ]106",
                  "ir[- ]?192",
                  "iridium[- ]192",
                  "pd[- ]?103",
                  "cs[- ]?131"));

  private static final List<Entry> ENTRIES = entries();

  // One alternation of all synonyms, longest first so that "proton beam" wins over "proton".
  private static final Pattern MENTION =
      Pattern.compile(
          "(?<![\\p{L}\\p{N}])("
              + String.join("|", ENTRIES.stream().map(Entry::regex).toList())
              + ")(?![\\p{L}\\p{N}])",
          Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

  private static final Pattern NEGATION =
      Pattern.compile(
          "(?:^|[^\\p{L}])(?:no|not|without|never|avoid|avoiding|instead of|rather than)(?:[\\s-]+[\\p{L}\\p{N}'/-]+){0,3}[\\s-]*$",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern CLAUSE_BREAK =
      Pattern.compile(
          "[.,;:!?()\\n]|(?<![\\p{L}])(?:but|and|then|so|use)(?![\\p{L}])",
          Pattern.CASE_INSENSITIVE);

  private record Entry(String regex, Modality modality, Pattern whole) {}

  private ModalityParser() {}

  /** The modality of the first mention that is not negated, or empty when the text names none. */
  public static Optional<Modality> parse(String answer) {
    if (answer == null) return Optional.empty();
    Matcher m = MENTION.matcher(answer);
    while (m.find()) {
      if (negated(answer.substring(Math.max(0, m.start() - 60), m.start()))) continue;
      return Optional.of(modalityOf(m.group(1)));
    }
    return Optional.empty();
  }

  // A negation counts within its own clause only: "not protons but photons" negates protons alone.
  private static boolean negated(String before) {
    Matcher clause = CLAUSE_BREAK.matcher(before);
    int start = 0;
    while (clause.find()) start = clause.end();
    return NEGATION.matcher(before.substring(start)).find();
  }

  private static Modality modalityOf(String mention) {
    for (Entry e : ENTRIES) {
      if (e.whole().matcher(mention).matches()) return e.modality();
    }
    throw new IllegalStateException("no synonym matches " + mention);
  }

  private static List<Entry> entries() {
    List<Entry> all = new ArrayList<>();
    SYNONYMS.forEach(
        (modality, regexes) -> {
          for (String r : regexes) {
            all.add(
                new Entry(
                    r,
                    modality,
                    Pattern.compile(r, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE)));
          }
        });
    // Longer patterns first (a rough stand-in for longer matches), then by text so the order is
    // fixed.
    all.sort(Comparator.comparingInt((Entry e) -> -e.regex().length()).thenComparing(Entry::regex));
    return List.copyOf(all);
  }
}
