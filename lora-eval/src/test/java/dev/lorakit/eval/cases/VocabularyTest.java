package dev.lorakit.eval.cases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lorakit.core.LorakitInputException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VocabularyTest {

  @Test
  void modalityWireNamesAreLowerCase() {
    assertEquals("photon", Modality.PHOTON.wireName());
    assertEquals("brachytherapy", Modality.BRACHYTHERAPY.wireName());
    assertEquals("photon, proton, electron or brachytherapy", Modality.wireNames());
    assertEquals(Optional.of(Modality.ELECTRON), Modality.fromWireName(" Electron "));
    assertEquals(Optional.empty(), Modality.fromWireName("IMRT"));
  }

  @Test
  void tasksNameTheirAnswerField() {
    Case c = new Case("a", "d", "Whole-breast 40 Gy in 15 fractions.", Modality.PHOTON, "C50.911");
    assertEquals("regimen", Task.REGIMEN.answerField());
    assertEquals("modality", Task.MODALITY.answerField());
    assertEquals("icd10", Task.ICD10.answerField());
    assertEquals("Whole-breast 40 Gy in 15 fractions.", Task.REGIMEN.answer(c));
    assertEquals("photon", Task.MODALITY.answer(c));
    assertEquals("C50.911", Task.ICD10.answer(c));
    assertEquals(Task.ICD10, Task.fromName("ICD10"));
    assertEquals(Task.MODALITY, Task.fromName("modality"));
    assertThrows(LorakitInputException.class, () -> Task.fromName("stage"));
  }

  @ParameterizedTest
  @CsvSource({
    "C50.911,C50.911",
    "c50911,C50.911",
    "c79.31,C79.31",
    "C61,C61",
    " c61 ,C61",
    "C7A.010,C7A.010",
    "z510,Z51.0",
    "D05.11,D05.11"
  })
  void icd10CanonicalForm(String in, String expected) {
    assertEquals(Optional.of(expected), Icd10.canonical(in));
  }

  @ParameterizedTest
  @CsvSource({"C5", "C50.91111", "breast", "50.911", "C50..9", "CC50"})
  void notIcd10Codes(String in) {
    assertEquals(Optional.empty(), Icd10.canonical(in));
  }

  @ParameterizedTest
  @CsvSource({
    "C50.911,breast",
    "C79.31,brain metastases",
    "C79.51,bone metastases",
    "C71.6,cerebellum",
    "C71.1,brain",
    "C41.0,skull base",
    "C41.2,bone",
    "C56,ovary",
    "C96.4,other (C96)"
  })
  void cancerSites(String code, String site) {
    assertEquals(site, CancerSites.of(code));
  }
}
