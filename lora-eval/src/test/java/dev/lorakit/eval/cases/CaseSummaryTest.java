package dev.lorakit.eval.cases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CaseSummaryTest {

  @Test
  void countsModalitiesCodesAndSites() {
    List<Case> cases =
        List.of(
            new Case("1", "d", "r", Modality.PHOTON, "C50.911"),
            new Case("2", "d", "r", Modality.PHOTON, "C50.912"),
            new Case("3", "d", "r", Modality.PROTON, "C71.6"),
            new Case("4", "d", "r", Modality.PHOTON, "C50.911"));
    CaseSummary s = CaseSummary.of(cases);
    assertEquals(4, s.cases());
    assertEquals(3, s.modalities().get(Modality.PHOTON));
    assertEquals(0, s.modalities().get(Modality.ELECTRON));
    assertEquals(0.75, s.share(Modality.PHOTON));
    assertEquals(2, s.codes().get("C50.911"));
    assertEquals(3, s.sites().get("breast"));
    assertEquals(1, s.sites().get("cerebellum"));
    String text = s.format();
    assertTrue(text.startsWith("4 cases, 3 ICD-10 codes over 2 sites"), text);
    assertTrue(text.matches("(?s).*\\nphoton +3 +75\\.0\\n.*"), text);
    assertTrue(text.contains("C50.911 (2), C50.912 (1)"), text);
  }
}
