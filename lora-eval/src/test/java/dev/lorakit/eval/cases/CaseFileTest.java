package dev.lorakit.eval.cases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaseFileTest {

  @TempDir Path dir;

  private Path copyResource(String name) throws IOException {
    Path target = dir.resolve(name);
    try (InputStream in = getClass().getResourceAsStream(name)) {
      Files.copy(in, target);
    }
    return target;
  }

  private Path file(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    return p;
  }

  private static String line(String id, String modality, String icd10) {
    return "{\"id\": \""
        + id
        + "\", \"diagnosis\": \"d "
        + id
        + "\", \"regimen\": \"r "
        + id
        + "\", \"modality\": \""
        + modality
        + "\", \"icd10\": \""
        + icd10
        + "\"}";
  }

  @Test
  void hospitalExportLoadsAsIs() throws IOException {
    List<Case> cases = CaseFile.read(copyResource("hospital_export.jsonl"));
    assertEquals(3, cases.size());
    Case first = cases.get(0);
    assertEquals("1001", first.id());
    assertEquals(Modality.PHOTON, first.modality());
    assertEquals("C50.912", first.icd10());
    assertEquals(
        List.of("site", "department", "dose_gy", "flags"), List.copyOf(first.extra().keySet()));
    assertEquals("breast", first.extra().get("site"));
    assertEquals(new BigDecimal("40.00"), first.extra().get("dose_gy"));
    assertEquals(Modality.BRACHYTHERAPY, cases.get(1).modality());
    assertEquals("C71.6", cases.get(2).icd10());
    assertEquals("Café — unicode kept", cases.get(2).extra().get("note"));
  }

  @Test
  void extraFieldsAreWrittenBackUnchanged() throws IOException {
    List<Case> cases = CaseFile.read(copyResource("hospital_export.jsonl"));
    Path out = dir.resolve("out.jsonl");
    CaseFile.write(out, cases);
    String text = Files.readString(out);
    assertTrue(text.contains("\"department\":{\"code\":\"RO-2\",\"beds\":12}"), text);
    assertTrue(text.contains("\"dose_gy\":40.00"), text);
    assertTrue(text.contains("\"flags\":[true,null]"), text);
    assertTrue(text.startsWith("{\"id\":\"1001\",\"diagnosis\":"), text);
    assertEquals(cases, CaseFile.read(out));
    // Written once more from what was read, the bytes do not change.
    Path again = dir.resolve("again.jsonl");
    CaseFile.write(again, CaseFile.read(out));
    assertEquals(text, Files.readString(again));
  }

  @Test
  void everyBadLineIsReportedWithLineAndField() throws IOException {
    Path p =
        file(
            "cases.jsonl",
            line("a", "photon", "C61"),
            line("b", "gamma", "C61"),
            "",
            "{\"id\": \"c\", \"diagnosis\": \"d\", \"regimen\": \"r\", \"modality\": \"proton\"}",
            "not json at all",
            line("a", "electron", "C44.319"),
            "{\"id\": 3.5, \"diagnosis\": \"\", \"regimen\": 12, \"modality\": \"proton\", \"icd10\": \"breast\"}",
            "[1, 2]",
            line("d", "brachytherapy", "C54.1"));
    InvalidCaseFileException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(p));
    List<String> problems = e.problems();
    assertEquals(
        List.of(
            "cases.jsonl line 2: field 'modality' is 'gamma', expected photon, proton, electron or brachytherapy.",
            "cases.jsonl line 4: field 'icd10' is missing.",
            "cases.jsonl line 5: not valid JSON",
            "cases.jsonl line 6: id 'a' is already used on line 1.",
            "cases.jsonl line 7: field 'id' is a number 3.5, expected non-empty text or a whole number.",
            "cases.jsonl line 7: field 'diagnosis' is empty, expected non-empty text.",
            "cases.jsonl line 7: field 'regimen' is a number 12, expected non-empty text.",
            "cases.jsonl line 7: field 'icd10' is 'breast', expected an ICD-10 code such as C50.911 or C61.",
            "cases.jsonl line 8: expected a JSON object"),
        problems.stream()
            .map(
                s ->
                    s.startsWith("cases.jsonl line 5")
                        ? s.substring(0, "cases.jsonl line 5: not valid JSON".length())
                        : s.startsWith("cases.jsonl line 8")
                            ? s.substring(0, "cases.jsonl line 8: expected a JSON object".length())
                            : s)
            .toList());
    assertTrue(e.getMessage().startsWith("cases.jsonl has 9 problems:"), e.getMessage());
    for (String problem : problems) assertTrue(e.getMessage().contains(problem), problem);
  }

  @Test
  void manyProblemsAreAllKeptThoughTheMessageIsCapped() throws IOException {
    String[] lines = new String[250];
    for (int i = 0; i < lines.length; i++) lines[i] = line("x" + i, "gamma", "C61");
    Path p = file("many.jsonl", lines);
    InvalidCaseFileException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(p));
    assertEquals(250, e.problems().size());
    assertTrue(e.problems().get(249).startsWith("many.jsonl line 250: "));
    assertTrue(e.getMessage().endsWith("... and 150 more."), e.getMessage());
  }

  @Test
  void blankLinesAreSkippedAndNothingElseIsDropped() throws IOException {
    Path p =
        file(
            "c.jsonl",
            "",
            line("a", "photon", "C61"),
            "   ",
            "\t",
            line("b", "proton", "c71.6"),
            "");
    List<Case> cases = CaseFile.read(p);
    assertEquals(List.of("a", "b"), cases.stream().map(Case::id).toList());
    assertEquals("C71.6", cases.get(1).icd10());
  }

  @Test
  void emptyFileAndBadEncodingAreErrors() throws IOException {
    Path empty = file("empty.jsonl", "", "");
    assertTrue(
        assertThrows(LorakitInputException.class, () -> CaseFile.read(empty))
            .getMessage()
            .contains("holds no cases"));
    Path latin1 = dir.resolve("latin1.jsonl");
    Files.write(
        latin1,
        line("a", "photon", "C61")
            .replace("d a", "caf\u00e9")
            .getBytes(StandardCharsets.ISO_8859_1));
    IOException e = assertThrows(IOException.class, () -> CaseFile.read(latin1));
    assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
  }

  @Test
  void duplicateKeysInALineAreReported() throws IOException {
    Path p =
        file(
            "dup.jsonl",
            "{\"id\": \"a\", \"id\": \"b\", \"diagnosis\": \"d\", \"regimen\": \"r\", "
                + "\"modality\": \"photon\", \"icd10\": \"C61\"}");
    InvalidCaseFileException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(p));
    assertTrue(e.problems().get(0).contains("Duplicate field 'id'"), e.problems().get(0));
  }

  @Test
  void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
    Path out = dir.resolve("cases.jsonl");
    Files.writeString(out, "old content\n");
    List<Case> cases =
        List.of(
            new Case("a", "diag", "reg", Modality.PHOTON, "C61"),
            new Case("b", "diag 2", "reg 2", Modality.ELECTRON, "C44.319", Map.of("k", 1)));
    CaseFile.write(out, cases);
    assertEquals(cases, CaseFile.read(out));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList());
    }
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoDebris() throws IOException {
    Path out = dir.resolve("cases.jsonl");
    Files.writeString(out, "old content\n");
    List<Case> duplicate =
        List.of(
            new Case("a", "d", "r", Modality.PHOTON, "C61"),
            new Case("a", "d", "r", Modality.PHOTON, "C61"));
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> CaseFile.write(out, duplicate));
    assertTrue(e.getMessage().contains("id 'a' occurs twice"), e.getMessage());
    assertEquals("old content\n", Files.readString(out));

    Path missing = dir.resolve("no-such-folder").resolve("c.jsonl");
    IOException io =
        assertThrows(
            IOException.class,
            () ->
                CaseFile.write(missing, List.of(new Case("a", "d", "r", Modality.PHOTON, "C61"))));
    assertTrue(io.getMessage().contains("does not exist"), io.getMessage());
    Path onAFile = out.resolve("c.jsonl");
    io = assertThrows(IOException.class, () -> CaseFile.write(onAFile, List.of()));
    assertTrue(io.getMessage().contains("is not a folder"), io.getMessage());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList());
    }
    assertFalse(Files.exists(missing));
  }

  @Test
  void caseRejectsNonCanonicalCodesAndClashingExtras() {
    assertThrows(
        LorakitInputException.class, () -> new Case("a", "d", "r", Modality.PHOTON, "c61"));
    assertThrows(
        LorakitInputException.class, () -> new Case("a", "d", "r", Modality.PHOTON, "C50911"));
    assertThrows(
        LorakitInputException.class, () -> new Case("a", " ", "r", Modality.PHOTON, "C61"));
    assertThrows(
        LorakitInputException.class,
        () -> new Case("a", "d", "r", Modality.PHOTON, "C61", Map.of("modality", "x")));
  }

  @Test
  void unlabelledCasesAreReadWithoutAnswersAndWrittenBackAsIdAndDiagnosis() throws IOException {
    Path p =
        file(
            "patients.jsonl",
            "{\"id\": \"p1\", \"diagnosis\": \"Prostate cancer.\"}",
            "{\"id\": 2, \"diagnosis\": \"Breast cancer.\", \"ward\": \"B\"}");
    CaseFile.Contents c = CaseFile.readToAnswer(p, List.of(Task.MODALITY, Task.ICD10));
    assertFalse(c.labelled());
    assertEquals(List.of("p1", "2"), c.cases().stream().map(Case::id).toList());
    assertFalse(c.cases().get(0).has(Task.MODALITY));
    assertThrows(LorakitInputException.class, () -> Task.MODALITY.answer(c.cases().get(0)));
    Path out = dir.resolve("out.jsonl");
    CaseFile.write(out, c.cases());
    assertEquals(
        "{\"id\":\"2\",\"diagnosis\":\"Breast cancer.\",\"ward\":\"B\"}",
        Files.readAllLines(out).get(1));
    InvalidCaseFileException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(p));
    assertEquals("patients.jsonl line 1: field 'regimen' is missing.", e.problems().get(0));
  }

  @Test
  void labelledCasesMustAllHoldTheAnswersOfTheTasksAsked() throws IOException {
    Path p =
        file(
            "mixed.jsonl",
            line("a", "photon", "C61"),
            "{\"id\": \"b\", \"diagnosis\": \"d\"}",
            "{\"id\": \"c\", \"diagnosis\": \"d\", \"modality\": \"proton\"}");
    InvalidCaseFileException e =
        assertThrows(
            InvalidCaseFileException.class,
            () -> CaseFile.readToAnswer(p, List.of(Task.MODALITY, Task.ICD10)));
    assertEquals(
        List.of(
            "mixed.jsonl line 2: field 'modality' is missing, though line 1 has reference answers; "
                + "give every case its answers, or none.",
            "mixed.jsonl line 2: field 'icd10' is missing, though line 1 has reference answers; give every case its "
                + "answers, or none.",
            "mixed.jsonl line 3: field 'icd10' is missing, though line 1 has reference answers; give every case its "
                + "answers, or none."),
        e.problems());
    assertThrows(
        InvalidCaseFileException.class,
        () ->
            CaseFile.readToAnswer(
                file(
                    "late.jsonl",
                    "{\"id\": \"b\", \"diagnosis\": \"d\"}",
                    line("a", "photon", "C61")),
                List.of(Task.ICD10)));
    CaseFile.Contents answered =
        CaseFile.readToAnswer(
            file(
                "some.jsonl",
                line("a", "photon", "C61"),
                "{\"id\": \"c\", \"diagnosis\": \"d\", \"modality\": \"proton\"}"),
            List.of(Task.MODALITY));
    assertTrue(answered.labelled(), "line 2 carries the one answer asked for");
  }

  @Test
  void aSingleTaskNeedsOnlyItsOwnAnswerButOtherAnswersGivenAreStillChecked() throws IOException {
    Path p =
        file(
            "modality-only.jsonl",
            "{\"id\": \"a\", \"diagnosis\": \"d\", \"modality\": \"Proton\"}",
            "{\"id\": \"b\", \"diagnosis\": \"d\", \"modality\": \"photon\", \"icd10\": null}");
    List<Case> cases = CaseFile.read(p, List.of(Task.MODALITY));
    assertEquals(
        List.of(Modality.PROTON, Modality.PHOTON), cases.stream().map(Case::modality).toList());
    InvalidCaseFileException e =
        assertThrows(InvalidCaseFileException.class, () -> CaseFile.read(p, List.of(Task.ICD10)));
    assertEquals(
        List.of(
            "modality-only.jsonl line 1: field 'icd10' is missing.",
            "modality-only.jsonl line 2: field 'icd10' is missing."),
        e.problems());
    Path bad =
        file(
            "bad-extra.jsonl",
            "{\"id\": \"a\", \"diagnosis\": \"d\", \"modality\": \"photon\", \"icd10\": \"X\"}");
    assertTrue(
        assertThrows(
                InvalidCaseFileException.class, () -> CaseFile.read(bad, List.of(Task.MODALITY)))
            .problems()
            .get(0)
            .contains("field 'icd10' is 'X'"));
  }

  @Test
  void splittingAndSummarisingNameTheCaseThatLacksWhatTheyCount() {
    List<Case> cases =
        List.of(new Case("a", "d", "r", Modality.PHOTON, "C61"), Case.unlabelled("b", "d"));
    assertEquals(
        "cannot split by modality: case 'b' has none.",
        assertThrows(
                LorakitInputException.class,
                () -> DatasetSplit.stratifiedByModality(cases, new SplitFractions(0.5, 0, 0.5), 1))
            .getMessage());
    assertEquals(
        "cannot summarise case 'b': it lacks its modality or code.",
        assertThrows(LorakitInputException.class, () -> CaseSummary.of(cases)).getMessage());
  }
}
