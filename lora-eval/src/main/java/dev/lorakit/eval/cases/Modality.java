package dev.lorakit.eval.cases;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How the radiation is delivered. The JSONL wire name is the lower-case constant name. */
public enum Modality {
  PHOTON,
  PROTON,
  ELECTRON,
  BRACHYTHERAPY;

  /**
   * The name written in case files: {@code photon}, {@code proton}, {@code electron} or {@code
   * brachytherapy}.
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The modality whose wire name is {@code text}, ignoring case and surrounding blanks. Synonyms
   * such as "IMRT" or "HDR" are not accepted here: they belong to answer parsing, not to case
   * files.
   */
  public static Optional<Modality> fromWireName(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(m -> m.wireName().equals(t)).findFirst();
  }

  /** "photon, proton, electron or brachytherapy": the accepted wire names, for error messages. */
  public static String wireNames() {
    Modality[] all = values();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < all.length; i++) {
      if (i > 0) b.append(i == all.length - 1 ? " or " : ", ");
      b.append(all[i].wireName());
    }
    return b.toString();
  }
}
