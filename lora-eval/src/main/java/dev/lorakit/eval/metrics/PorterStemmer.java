package dev.lorakit.eval.metrics;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer as NLTK's {@code PorterStemmer()} runs it in its default mode ({@code
 * NLTK_EXTENSIONS}): Porter's steps 1a to 5b plus NLTK's departures from the 1980 paper — a table
 * of irregular forms, words of one or two letters left alone, {@code -ies}/{@code -ied} on
 * four-letter words kept as {@code -ie}, {@code y -> i} only after a consonant that is not the
 * first letter, {@code -alli} handled before {@code -bli}, the {@code -fulli} and {@code -logi}
 * rules, and a two-letter vowel-consonant stem counting as "cvc". ROUGE's stemmer option uses
 * exactly this stemmer.
 *
 * <p>Stateless and thread-safe.
 */
public final class PorterStemmer {

  /** NLTK's irregular forms, which skip the algorithm entirely. */
  private static final Map<String, String> IRREGULAR =
      Map.ofEntries(
          Map.entry("sky", "sky"),
          Map.entry("skies", "sky"),
          Map.entry("dying", "die"),
          Map.entry("lying", "lie"),
          Map.entry("tying", "tie"),
          Map.entry("news", "news"),
          Map.entry("innings", "inning"),
          Map.entry("inning", "inning"),
          Map.entry("outings", "outing"),
          Map.entry("outing", "outing"),
          Map.entry("cannings", "canning"),
          Map.entry("canning", "canning"),
          Map.entry("howe", "howe"),
          Map.entry("proceed", "proceed"),
          Map.entry("exceed", "exceed"),
          Map.entry("succeed", "succeed"));

  /**
   * One suffix rule: if the word ends with {@code suffix}, the rule applies (and no later rule in
   * its list is tried); it rewrites the word only when {@code condition} holds for the stem left
   * after removal.
   */
  private record Rule(String suffix, String replacement, Predicate<String> condition) {}

  /** Stems one word (lower-cased first, as NLTK does by default). */
  public String stem(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    String irregular = IRREGULAR.get(w);
    if (irregular != null) return irregular;
    if (word.length() <= 2) return w;
    w = step1a(w);
    w = step1b(w);
    w = step1c(w);
    w = step2(w);
    w = step3(w);
    w = step4(w);
    w = step5a(w);
    w = step5b(w);
    return w;
  }

  // ---- letters and measure
  // -------------------------------------------------------------------------

  private static boolean isVowelLetter(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  }

  /**
   * Consonant in Porter's sense: not a vowel letter, and a 'y' only when the letter before it is
   * not one.
   */
  static boolean isConsonant(String w, int i) {
    // Walk forward rather than recurse back, so a long run of y's cannot exhaust the stack.
    boolean consonant = false;
    for (int k = 0; k <= i; k++) consonant = consonantFlag(w, k, consonant);
    return consonant;
  }

  /** Porter's m: the number of vowel-run-then-consonant-run pairs in [C](VC)^m[V]. */
  static int measure(String stem) {
    int m = 0;
    boolean previousVowel = false;
    boolean previousConsonant = false;
    for (int i = 0; i < stem.length(); i++) {
      boolean consonant = consonantFlag(stem, i, previousConsonant);
      if (consonant && previousVowel) m++;
      previousVowel = !consonant;
      previousConsonant = consonant;
    }
    return m;
  }

  /** isConsonant without the walk back, given whether the previous letter was a consonant. */
  private static boolean consonantFlag(String w, int i, boolean previousConsonant) {
    char c = w.charAt(i);
    if (isVowelLetter(c)) return false;
    if (c != 'y') return true;
    return i == 0 || !previousConsonant;
  }

  private static boolean containsVowel(String stem) {
    boolean previousConsonant = false;
    for (int i = 0; i < stem.length(); i++) {
      boolean consonant = consonantFlag(stem, i, previousConsonant);
      if (!consonant) return true;
      previousConsonant = consonant;
    }
    return false;
  }

  /** *d: ends with a double consonant. */
  private static boolean endsDoubleConsonant(String w) {
    int n = w.length();
    return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
  }

  /**
   * *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also counts a two-letter "vc"
   * word.
   */
  static boolean endsCvc(String w) {
    int n = w.length();
    if (n >= 3) {
      char last = w.charAt(n - 1);
      if (isConsonant(w, n - 3)
          && !isConsonant(w, n - 2)
          && isConsonant(w, n - 1)
          && last != 'w'
          && last != 'x'
          && last != 'y') {
        return true;
      }
    }
    return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
  }

  private static boolean positiveMeasure(String stem) {
    return measure(stem) > 0;
  }

  private static boolean measureAboveOne(String stem) {
    return measure(stem) > 1;
  }

  /** Applies the first rule whose suffix the word ends with; a failed condition ends the search. */
  private static String applyFirst(String w, List<Rule> rules) {
    for (Rule r : rules) {
      if (w.endsWith(r.suffix())) {
        String stem = w.substring(0, w.length() - r.suffix().length());
        return r.condition() == null || r.condition().test(stem) ? stem + r.replacement() : w;
      }
    }
    return w;
  }

  // ---- the steps
  // -------------------------------------------------------------------------------------

  private static final List<Rule> STEP_1A =
      List.of(
          new Rule("sses", "ss", null),
          new Rule("ies", "i", null),
          new Rule("ss", "ss", null),
          new Rule("s", "", null));

  private static String step1a(String w) {
    // NLTK: "dies" -> "die" rather than "di" (while "flies" -> "fli").
    if (w.length() == 4 && w.endsWith("ies")) return w.substring(0, 1) + "ie";
    return applyFirst(w, STEP_1A);
  }

  private static String step1b(String w) {
    if (w.endsWith("ied")) {
      // NLTK: "died" -> "die", "spied" -> "spi".
      return w.substring(0, w.length() - 3) + (w.length() == 4 ? "ie" : "i");
    }
    if (w.endsWith("eed")) {
      String stem = w.substring(0, w.length() - 3);
      return measure(stem) > 0 ? stem + "ee" : w;
    }
    String stem = null;
    if (w.endsWith("ed") && containsVowel(w.substring(0, w.length() - 2)))
      stem = w.substring(0, w.length() - 2);
    else if (w.endsWith("ing") && containsVowel(w.substring(0, w.length() - 3)))
      stem = w.substring(0, w.length() - 3);
    if (stem == null) return w;

    // After -ed/-ing is removed: restore an e (conflat -> conflate), undouble (hopp -> hop), or add
    // e (fil -> file).
    if (stem.endsWith("at")) return stem + "e";
    if (stem.endsWith("bl")) return stem + "e";
    if (stem.endsWith("iz")) return stem + "e";
    if (endsDoubleConsonant(stem)) {
      char last = stem.charAt(stem.length() - 1);
      return last == 'l' || last == 's' || last == 'z'
          ? stem
          : stem.substring(0, stem.length() - 1);
    }
    return measure(stem) == 1 && endsCvc(stem) ? stem + "e" : stem;
  }

  private static String step1c(String w) {
    // NLTK: y -> i only after a consonant, and not when that consonant is the whole stem ("by"
    // stays).
    if (!w.endsWith("y")) return w;
    String stem = w.substring(0, w.length() - 1);
    return stem.length() > 1 && isConsonant(stem, stem.length() - 1) ? stem + "i" : w;
  }

  private static final List<Rule> STEP_2 =
      List.of(
          new Rule("ational", "ate", PorterStemmer::positiveMeasure),
          new Rule("tional", "tion", PorterStemmer::positiveMeasure),
          new Rule("enci", "ence", PorterStemmer::positiveMeasure),
          new Rule("anci", "ance", PorterStemmer::positiveMeasure),
          new Rule("izer", "ize", PorterStemmer::positiveMeasure),
          new Rule("bli", "ble", PorterStemmer::positiveMeasure),
          new Rule("alli", "al", PorterStemmer::positiveMeasure),
          new Rule("entli", "ent", PorterStemmer::positiveMeasure),
          new Rule("eli", "e", PorterStemmer::positiveMeasure),
          new Rule("ousli", "ous", PorterStemmer::positiveMeasure),
          new Rule("ization", "ize", PorterStemmer::positiveMeasure),
          new Rule("ation", "ate", PorterStemmer::positiveMeasure),
          new Rule("ator", "ate", PorterStemmer::positiveMeasure),
          new Rule("alism", "al", PorterStemmer::positiveMeasure),
          new Rule("iveness", "ive", PorterStemmer::positiveMeasure),
          new Rule("fulness", "ful", PorterStemmer::positiveMeasure),
          new Rule("ousness", "ous", PorterStemmer::positiveMeasure),
          new Rule("aliti", "al", PorterStemmer::positiveMeasure),
          new Rule("iviti", "ive", PorterStemmer::positiveMeasure),
          new Rule("biliti", "ble", PorterStemmer::positiveMeasure),
          new Rule("fulli", "ful", PorterStemmer::positiveMeasure),
          // The 'l' of -logi stays with the stem for the measure, so short stems such as "geo"
          // qualify.
          new Rule("logi", "log", stem -> positiveMeasure(stem + "l")));

  private static String step2(String w) {
    // NLTK applies -alli -> -al first and then runs step 2 again on the result.
    if (w.endsWith("alli") && positiveMeasure(w.substring(0, w.length() - 4))) {
      return step2(w.substring(0, w.length() - 4) + "al");
    }
    return applyFirst(w, STEP_2);
  }

  private static final List<Rule> STEP_3 =
      List.of(
          new Rule("icate", "ic", PorterStemmer::positiveMeasure),
          new Rule("ative", "", PorterStemmer::positiveMeasure),
          new Rule("alize", "al", PorterStemmer::positiveMeasure),
          new Rule("iciti", "ic", PorterStemmer::positiveMeasure),
          new Rule("ical", "ic", PorterStemmer::positiveMeasure),
          new Rule("ful", "", PorterStemmer::positiveMeasure),
          new Rule("ness", "", PorterStemmer::positiveMeasure));

  private static String step3(String w) {
    return applyFirst(w, STEP_3);
  }

  private static final List<Rule> STEP_4 =
      List.of(
          new Rule("al", "", PorterStemmer::measureAboveOne),
          new Rule("ance", "", PorterStemmer::measureAboveOne),
          new Rule("ence", "", PorterStemmer::measureAboveOne),
          new Rule("er", "", PorterStemmer::measureAboveOne),
          new Rule("ic", "", PorterStemmer::measureAboveOne),
          new Rule("able", "", PorterStemmer::measureAboveOne),
          new Rule("ible", "", PorterStemmer::measureAboveOne),
          new Rule("ant", "", PorterStemmer::measureAboveOne),
          new Rule("ement", "", PorterStemmer::measureAboveOne),
          new Rule("ment", "", PorterStemmer::measureAboveOne),
          new Rule("ent", "", PorterStemmer::measureAboveOne),
          new Rule(
              "ion",
              "",
              stem -> measureAboveOne(stem) && (stem.endsWith("s") || stem.endsWith("t"))),
          new Rule("ou", "", PorterStemmer::measureAboveOne),
          new Rule("ism", "", PorterStemmer::measureAboveOne),
          new Rule("ate", "", PorterStemmer::measureAboveOne),
          new Rule("iti", "", PorterStemmer::measureAboveOne),
          new Rule("ous", "", PorterStemmer::measureAboveOne),
          new Rule("ive", "", PorterStemmer::measureAboveOne),
          new Rule("ize", "", PorterStemmer::measureAboveOne));

  private static String step4(String w) {
    return applyFirst(w, STEP_4);
  }

  /**
   * Both -e rules are tried in turn (unlike a rule list, a failed first condition does not stop the
   * second).
   */
  private static String step5a(String w) {
    if (!w.endsWith("e")) return w;
    String stem = w.substring(0, w.length() - 1);
    int m = measure(stem);
    if (m > 1) return stem;
    if (m == 1 && !endsCvc(stem)) return stem;
    return w;
  }

  private static String step5b(String w) {
    // (m > 1 and *d and *L): the measure is taken on the word less one 'l'.
    if (w.endsWith("ll") && measureAboveOne(w.substring(0, w.length() - 1)))
      return w.substring(0, w.length() - 1);
    return w;
  }
}
