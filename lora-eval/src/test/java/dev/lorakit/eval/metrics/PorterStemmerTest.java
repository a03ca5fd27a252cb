package dev.lorakit.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PorterStemmerTest {

  private final PorterStemmer stemmer = new PorterStemmer();

  /**
   * 772 words (the paper's examples, NLTK's irregular forms, clinical words, random suffix mixes)
   * stemmed by NLTK.
   */
  @Test
  void matchesNltkOnReferenceVocabulary() throws IOException {
    List<String> mismatches = new ArrayList<>();
    int n = 0;
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                getClass().getResourceAsStream("/dev/lorakit/eval/fixtures/porter_nltk.tsv"),
                StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) continue;
        String[] f = line.split("\t");
        String got = stemmer.stem(f[0]);
        if (!got.equals(f[1])) mismatches.add(f[0] + " -> " + got + " (NLTK: " + f[1] + ")");
        n++;
      }
    }
    assertEquals(772, n);
    assertTrue(mismatches.isEmpty(), mismatches.size() + " mismatches: " + mismatches);
  }

  /** Examples from NLTK's own documentation of PorterStemmer and its departures from the paper. */
  @ParameterizedTest
  @CsvSource({
    "caresses, caress",
    "flies, fli",
    "dies, die",
    "mules, mule",
    "denied, deni",
    "died, die",
    "agreed, agre",
    "owned, own",
    "humbled, humbl",
    "sized, size",
    "meeting, meet",
    "stating, state",
    "siezing, siez",
    "itemization, item",
    "sensational, sensat",
    "traditional, tradit",
    "reference, refer",
    "colonizer, colon",
    "plotted, plot",
    "having, have",
    "generously, gener",
    "skies, sky",
    "dying, die",
    "innings, inning",
    "happy, happi",
    "enjoy, enjoy",
    "spy, spi",
    "by, by",
    "geology, geolog",
    "hopefully, hope"
  })
  void nltkDocumentationExamples(String word, String stem) {
    assertEquals(stem, stemmer.stem(word));
  }

  @Test
  void measureAndCvcFollowThePaper() {
    for (String w : new String[] {"tr", "ee", "tree", "y", "by"})
      assertEquals(0, PorterStemmer.measure(w), w);
    for (String w : new String[] {"trouble", "oats", "trees", "ivy"})
      assertEquals(1, PorterStemmer.measure(w), w);
    for (String w : new String[] {"troubles", "private", "oaten", "orrery"})
      assertEquals(2, PorterStemmer.measure(w), w);
    assertTrue(PorterStemmer.endsCvc("hop"));
    assertTrue(!PorterStemmer.endsCvc("snow"));
    assertTrue(PorterStemmer.endsCvc("at")); // NLTK's two-letter extension
    // 'y' after a consonant is a vowel, after a vowel a consonant: toy = t,o,y(c); syzygy =
    // s,y(v),z,y(v),g,y(v)
    assertTrue(PorterStemmer.isConsonant("toy", 2));
    assertTrue(!PorterStemmer.isConsonant("syzygy", 1));
  }

  @Test
  void longRunOfYDoesNotOverflowTheStack() {
    // NLTK: an even run of y's ends "...yi" (y -> i after a consonant y), an odd run is left alone.
    assertEquals("y".repeat(99_999) + "i", stemmer.stem("y".repeat(100_000)));
    assertEquals("y".repeat(100_001), stemmer.stem("y".repeat(100_001)));
  }
}
