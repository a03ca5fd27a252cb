package dev.lorakit.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerParserTest {

  @ParameterizedTest
  @CsvSource(
      nullValues = "NONE",
      value = {
        "Photon, photon", "  PROTONS. , proton", "IMRT, photon", "vmat, photon", "3D-CRT, photon", "SBRT, photon",
        "SRS, photon", "HDR, brachytherapy", "LDR, brachytherapy", "seed implant, brachytherapy",
        "Plaque, brachytherapy", "proton beam, proton", "PBS, proton", "electron beam, electron", "TSEBT, electron",
        "'Answer: photon therapy with IMRT', photon", "'proton beam therapy', proton",
        "'photon or proton', NONE", "'surgery only', NONE", "'', NONE", "photonic, NONE"
      })
  void modality(String raw, String expected) {
    assertEquals(Optional.ofNullable(expected), AnswerParser.modality().parse(raw));
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "NONE",
      value = {
        "c50911, C50.911", "C50.911, C50.911", "'ICD-10: c61.', C61", "c34.90, C34.90", "'Code C79.31 (bone)', C79.31",
        "'ICD10 code c71.9', C71.9", "'no code here', NONE", "'ABC123', NONE", "'', NONE"
      })
  void icd10(String raw, String expected) {
    assertEquals(Optional.ofNullable(expected), AnswerParser.icd10().parse(raw));
  }

  @ParameterizedTest
  @CsvSource(nullValues = "NONE", value = {"'  50 Gy   in 25 fractions ', '50 Gy in 25 fractions'", "'   ', NONE"})
  void verbatimCollapsesWhitespace(String raw, String expected) {
    assertEquals(Optional.ofNullable(expected), AnswerParser.verbatim().parse(raw));
  }
}
