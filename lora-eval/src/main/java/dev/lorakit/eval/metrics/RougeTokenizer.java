package dev.lorakit.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tokenizer of Google's {@code rouge-score} 0.1.2: lower-case the text, turn every run of
 * characters other than {@code [a-z0-9]} into a space, split on whitespace, Porter-stem the tokens
 * longer than three characters when stemming is on, and drop empty tokens. The net effect is "the
 * runs of ASCII letters and digits of the lower-cased text", so {@code "40.05Gy/15fx"} gives {@code
 * 40}, {@code 05gy}, {@code 15fx}.
 */
public final class RougeTokenizer {

  private final PorterStemmer stemmer;

  /**
   * @param useStemmer whether tokens longer than three characters are Porter-stemmed
   */
  public RougeTokenizer(boolean useStemmer) {
    this.stemmer = useStemmer ? new PorterStemmer() : null;
  }

  public List<String> tokenize(String text) {
    // Python's str.lower() is Unicode full case mapping, as is Java's toLowerCase with the root
    // locale.
    String lower = text.toLowerCase(Locale.ROOT);
    List<String> tokens = new ArrayList<>();
    int i = 0;
    int n = lower.length();
    while (i < n) {
      while (i < n && !isAsciiAlphanumeric(lower.charAt(i))) i++;
      int start = i;
      while (i < n && isAsciiAlphanumeric(lower.charAt(i))) i++;
      if (i > start) {
        String token = lower.substring(start, i);
        tokens.add(stemmer != null && token.length() > 3 ? stemmer.stem(token) : token);
      }
    }
    return tokens;
  }

  private static boolean isAsciiAlphanumeric(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}
