package dev.lorakit.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskScorerTest {

  @Test
  void modalityScoresParsedLabelsAndListsUnparsed() {
    Map<String, String> ref = new LinkedHashMap<>();
    ref.put("a", "photon");
    ref.put("b", "proton");
    ref.put("c", "brachytherapy");
    ref.put("d", "photon");
    Map<String, String> pred =
        Map.of("a", "IMRT", "b", "photon", "c", "HDR brachytherapy", "d", "not sure");
    TaskScore s = new TaskScorer(Task.MODALITY, false).score(ref, pred);
    assertEquals(4, s.n());
    assertEquals(0.5, s.accuracy());
    assertEquals(List.of("d"), s.unparsed());
    // labels: brachytherapy, photon, proton; "d" is a miss for photon and predicts nothing
    assertEquals(List.of("brachytherapy", "photon", "proton"), s.prf().labels());
    ClassScores photon = s.prf().perClass().get(1);
    assertEquals(0.5, photon.precision()); // predicted photon for a (right) and b (wrong)
    assertEquals(0.5, photon.recall()); // true photon a (found) and d (missed)
    assertEquals(2, photon.support());
    assertEquals(2.0 / 3, s.prf().micro().precision(), 1e-15); // 2 right of 3 parsed predictions
    assertEquals(0.5, s.prf().micro().recall(), 1e-15);
  }

  @Test
  void regimenCarriesMeanRouge() {
    Map<String, String> ref = new LinkedHashMap<>();
    ref.put("1", "50 Gy in 25 fractions");
    ref.put("2", "8 Gy in 1 fraction");
    Map<String, String> pred = Map.of("1", "50 Gy in 25 fractions", "2", "20 Gy in 5 fractions");
    TaskScore s = new TaskScorer(Task.REGIMEN, true).score(ref, pred);
    double second = new Rouge1(true).score("8 Gy in 1 fraction", "20 Gy in 5 fractions").fmeasure();
    assertEquals((1.0 + second) / 2, s.rouge1().fmeasure(), 1e-15);
    assertEquals(0.5, s.accuracy());
    assertEquals(2, s.rouge1F().length);
  }

  @Test
  void missingIdsAreNamed() {
    Map<String, String> ref = Map.of("a", "C61", "b", "C61");
    Map<String, String> pred = Map.of("a", "C61", "z", "C61");
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class, () -> new TaskScorer(Task.ICD10, false).score(ref, pred));
    assertTrue(
        e.getMessage().contains("no prediction for b")
            && e.getMessage().contains("no reference for z"),
        e.getMessage());
  }

  @Test
  void unparseableReferenceIsAnError() {
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () ->
                new TaskScorer(Task.ICD10, false)
                    .score(Map.of("x", "unknown"), Map.of("x", "C61")));
    assertTrue(e.getMessage().contains("\"x\""), e.getMessage());
  }

  @Test
  void answerFileReportsLineNumbers(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("p.jsonl");
    Files.writeString(f, "{\"id\": \"a\", \"icd10\": \"C61\"}\n\n{\"id\": 7, \"icd10\": null}\n");
    Map<String, String> m = AnswerFile.read(f, "icd10");
    assertEquals(List.of("a", "7"), List.copyOf(m.keySet()));
    assertEquals(null, m.get("7"));

    Files.writeString(f, "{\"id\": \"a\", \"icd10\": \"C61\"}\n{\"id\": \"b\", \"icd10\": \"C6\n");
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> AnswerFile.read(f, "icd10"));
    assertTrue(e.getMessage().startsWith(f + ":2: not valid JSON"), e.getMessage());

    Files.writeString(f, "{\"id\": \"a\", \"modality\": \"photon\"}\n");
    e = assertThrows(LorakitInputException.class, () -> AnswerFile.read(f, "icd10"));
    assertTrue(e.getMessage().contains(":1: expected a string field \"icd10\""), e.getMessage());

    Files.writeString(
        f, "{\"id\": \"a\", \"icd10\": \"C61\"}\n{\"id\": \"a\", \"icd10\": \"C61\"}\n");
    e = assertThrows(LorakitInputException.class, () -> AnswerFile.read(f, "icd10"));
    assertTrue(e.getMessage().contains(":2: id \"a\" appears twice"), e.getMessage());
  }
}
