package dev.lorakit.eval.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.CaseSummary;
import dev.lorakit.eval.cases.Modality;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticCasesTest {

  static List<Case> clean; // seed 7, no label noise
  static List<Case> noisy; // seed 7, 20% label noise

  @BeforeAll
  static void generate() {
    clean = new SyntheticCases(7, 0).generate(5000);
    noisy = new SyntheticCases(7, 0.2).generate(5000);
  }

  @Test
  void sameSeedGivesByteIdenticalFiles(@TempDir Path dir) throws IOException {
    Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl"), c = dir.resolve("c.jsonl");
    CaseFile.write(a, new SyntheticCases(7, 0.05).generate(2000));
    CaseFile.write(b, new SyntheticCases(7, 0.05).generate(2000));
    CaseFile.write(c, new SyntheticCases(8, 0.05).generate(2000));
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    assertFalse(Files.readString(a).equals(Files.readString(c)));
  }

  @Test
  void aShortRunIsThePrefixOfALongOne() {
    assertEquals(clean.subList(0, 300), new SyntheticCases(7, 0).generate(300));
    assertEquals(clean.get(4321), new SyntheticCases(7, 0).caseAt(4321));
  }

  @Test
  void everyCaseIsValidAndRoundTripsThroughACaseFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("cases.jsonl");
    CaseFile.write(file, noisy);
    assertEquals(noisy, CaseFile.read(file));
    Set<String> ids = new HashSet<>();
    for (Case c : noisy) assertTrue(ids.add(c.id()));
    assertEquals("synth-7-00001", noisy.get(0).id());
  }

  @ParameterizedTest
  @ValueSource(longs = {7, 1, 2024, -5})
  void modalityMixIsPhotonDominantThenProtonBrachytherapyElectron(long seed) {
    CaseSummary s =
        CaseSummary.of(new SyntheticCases(seed, SyntheticCases.DEFAULT_NOISE).generate(5000));
    double photon = s.share(Modality.PHOTON), proton = s.share(Modality.PROTON);
    double brachy = s.share(Modality.BRACHYTHERAPY), electron = s.share(Modality.ELECTRON);
    String mix = s.modalities().toString();
    assertTrue(photon >= 0.75 && photon <= 0.85, mix);
    assertTrue(proton > brachy && brachy > electron && electron >= 0.02, mix);
  }

  @Test
  void atLeast25CodesOverAtLeast12Sites() {
    CaseSummary s = CaseSummary.of(clean);
    assertTrue(s.codes().size() >= 25, s.codes().keySet().toString());
    assertTrue(s.sites().size() >= 12, s.sites().keySet().toString());
    assertFalse(
        s.sites().keySet().stream().anyMatch(site -> site.startsWith("other")),
        s.sites().toString());
  }

  @Test
  void textsAreShort() {
    double diagnosisWords = 0, regimenWords = 0;
    for (Case c : noisy) {
      int d = words(c.diagnosis()), r = words(c.regimen());
      assertTrue(d >= 15 && d <= 70, d + " words: " + c.diagnosis());
      assertTrue(r >= 6 && r <= 35, r + " words: " + c.regimen());
      diagnosisWords += d;
      regimenWords += r;
    }
    diagnosisWords /= noisy.size();
    regimenWords /= noisy.size();
    assertTrue(
        diagnosisWords >= 25 && diagnosisWords <= 60, "mean diagnosis words " + diagnosisWords);
    assertTrue(regimenWords >= 10 && regimenWords <= 30, "mean regimen words " + regimenWords);
  }

  private static int words(String s) {
    return s.split("\\s+").length;
  }

  @Test
  void breastLateralityDrivesTheCode() {
    int seen = 0;
    for (Case c : clean) {
      if (!c.icd10().startsWith("C50.")) continue;
      seen++;
      boolean right = c.diagnosis().contains("right breast"),
          left = c.diagnosis().contains("left breast");
      assertTrue(right != left, c.diagnosis());
      assertEquals(right ? '1' : '2', c.icd10().charAt(6), c.toString());
      boolean upperOuter = c.diagnosis().contains("upper outer quadrant");
      assertEquals(upperOuter, c.icd10().startsWith("C50.41"), c.toString());
    }
    assertTrue(seen > 500);
  }

  @Test
  void eyeAndLungSideDriveTheCode() {
    for (Case c : clean) {
      if (c.icd10().startsWith("C69.3")) {
        assertEquals(
            c.diagnosis().contains("right eye") ? "C69.31" : "C69.32", c.icd10(), c.diagnosis());
      }
      if (c.icd10().startsWith("C34")) {
        String expected =
            c.diagnosis().contains("right upper lobe")
                ? "C34.11"
                : c.diagnosis().contains("left upper lobe")
                    ? "C34.12"
                    : c.diagnosis().contains("right middle lobe")
                        ? "C34.2"
                        : c.diagnosis().contains("right lower lobe") ? "C34.31" : "C34.32";
        assertEquals(expected, c.icd10(), c.diagnosis());
      }
    }
  }

  private static final Pattern LESIONS =
      Pattern.compile("(\\d+) (?:brain|intracranial) metastases");
  private static final Pattern KPS = Pattern.compile("KPS (\\d+)");

  @Test
  void lesionCountDrivesRadiosurgeryVersusWholeBrain() {
    int few = 0, many = 0;
    for (Case c : clean) {
      if (!c.icd10().equals("C79.31")) continue;
      Matcher k = KPS.matcher(c.diagnosis());
      assertTrue(k.find(), c.diagnosis());
      if (Integer.parseInt(k.group(1)) < 60 || c.diagnosis().contains("resected")) continue;
      Matcher m = LESIONS.matcher(c.diagnosis());
      int lesions = m.find() ? Integer.parseInt(m.group(1)) : 1;
      boolean stereotactic = c.regimen().contains("tereotactic");
      boolean wholeBrain = c.regimen().contains("hole-brain");
      assertTrue(stereotactic != wholeBrain, c.regimen());
      if (lesions <= 4) {
        few++;
        assertTrue(stereotactic, c.toString());
      } else if (lesions > 10) {
        many++;
        assertTrue(wholeBrain, c.toString());
      }
    }
    assertTrue(few > 100 && many > 20, few + " few, " + many + " many");
  }

  private static final Pattern AGE = Pattern.compile("^(\\d+)-year-old");

  @Test
  void ageAndSiteDriveProtons() {
    for (Case c : clean) {
      Matcher m = AGE.matcher(c.diagnosis());
      assertTrue(m.find(), c.diagnosis());
      int age = Integer.parseInt(m.group(1));
      if (c.icd10().equals("C71.6")) {
        assertEquals(age < 18 ? Modality.PROTON : Modality.PHOTON, c.modality(), c.toString());
      }
      if (c.icd10().startsWith("C71.") && c.diagnosis().contains("IDH-mutant")) {
        assertEquals(age < 40 ? Modality.PROTON : Modality.PHOTON, c.modality(), c.toString());
      }
      if (c.icd10().equals("C41.0")) {
        assertEquals(
            c.diagnosis().contains("Declined referral to a proton centre")
                ? Modality.PHOTON
                : Modality.PROTON,
            c.modality(),
            c.toString());
      }
    }
  }

  @Test
  void withoutNoiseTheRulesHoldExactly() {
    for (Case c : clean) {
      if (c.icd10().equals("C79.51") && c.diagnosis().contains("spinal cord compression")) {
        assertTrue(c.regimen().contains("20 Gy in 5 fractions"), c.toString());
      }
      if (c.icd10().equals("C79.51") && c.diagnosis().contains("pain score")) {
        assertTrue(c.regimen().contains("8 Gy in a single fraction"), c.toString());
      }
      if (c.icd10().startsWith("C44.3")) {
        assertEquals(
            c.regimen().startsWith("Kilovoltage") ? Modality.PHOTON : Modality.ELECTRON,
            c.modality(),
            c.toString());
      }
      if (c.icd10().equals("C84.00")) assertEquals(Modality.ELECTRON, c.modality(), c.toString());
    }
  }

  @Test
  void labelNoiseSwapsThePlanAtTheGivenRateAndNothingElse() {
    assertEquals(clean, new SyntheticCases(7, 0).generate(5000));
    int changed = 0, modalityChanged = 0;
    for (int i = 0; i < clean.size(); i++) {
      Case a = clean.get(i), b = noisy.get(i);
      assertEquals(a.id(), b.id());
      assertEquals(a.diagnosis(), b.diagnosis());
      assertEquals(a.icd10(), b.icd10());
      if (!a.regimen().equals(b.regimen())) changed++;
      if (a.modality() != b.modality()) modalityChanged++;
    }
    double rate = changed / (double) clean.size();
    assertTrue(rate > 0.17 && rate < 0.23, "changed " + rate);
    assertTrue(
        modalityChanged > 0 && modalityChanged < changed, modalityChanged + " of " + changed);
  }

  @Test
  void fiveThousandCasesTakeWellUnderAFewSeconds() {
    new SyntheticCases(1, 0.05).generate(500); // warm up
    long start = System.nanoTime();
    List<Case> cases = new SyntheticCases(99, 0.05).generate(5000);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(5000, cases.size());
    assertTrue(seconds < 2, seconds + " s");
  }

  @Test
  void badArgumentsAreRejected() {
    assertThrows(LorakitInputException.class, () -> new SyntheticCases(1, -0.1));
    assertThrows(LorakitInputException.class, () -> new SyntheticCases(1, 1.5));
    assertThrows(LorakitInputException.class, () -> new SyntheticCases(1, Double.NaN));
    assertThrows(LorakitInputException.class, () -> new SyntheticCases(1, 0).generate(0));
    assertNotEquals(new SyntheticCases(1, 0).caseAt(0), new SyntheticCases(2, 0).caseAt(0));
  }
}
