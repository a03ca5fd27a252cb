package dev.lorakit.eval.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.ConfusionMatrix;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.metrics.TaskScorer;
import dev.lorakit.eval.stats.Bootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What makes a report's numbers readable: the baseline row, intervals drawn, smoothed loss, the
 * confusion layout.
 */
class TrustedReportTest {

  @TempDir Path dir;

  static final Bootstrap BOOTSTRAP = new Bootstrap(500, 3);

  /**
   * {@code n} modality cases, 82% photon; the model answers "photon" always (base) or the truth
   * (tuned).
   */
  static TaskScore[] modality(int n) {
    Map<String, String> ref = new LinkedHashMap<>();
    Map<String, String> base = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      ref.put("c" + i, i % 50 < 41 ? "photon" : i % 2 == 0 ? "proton" : "electron");
      base.put("c" + i, "photon");
    }
    TaskScorer s = new TaskScorer(Task.MODALITY, false);
    return new TaskScore[] {s.score(ref, base), s.score(ref, ref)};
  }

  @Test
  void theBaselineIsTheCommonestAnswerGivenToEveryCase() {
    Baseline b = Baseline.of(modality(100)[0], BOOTSTRAP);
    assertEquals("photon", b.answer());
    assertEquals(0.82, b.ci().estimate(), 1e-12, "the share of photon cases");
    assertEquals(
        1.0 / 3,
        b.prf().recall(),
        1e-12,
        "macro recall: all of one class of three, none of the others");
    Map<String, String> codes = new LinkedHashMap<>();
    for (String c : List.of("C61", "c61", "C50.911", "C61", "C34.90", "C50.911"))
      codes.put("k" + codes.size(), c);
    Baseline icd = Baseline.of(new TaskScorer(Task.ICD10, false).score(codes, codes), BOOTSTRAP);
    assertEquals("C61", icd.answer(), "C61 written twice as C61 and once as c61");
    assertEquals(0.5, icd.ci().estimate(), 1e-12);
    Map<String, String> regimens =
        Map.of("a", "60 Gy in 30 fractions", "b", "60 Gy in 30 fractions", "c", "8 Gy single");
    Baseline reg =
        Baseline.of(new TaskScorer(Task.REGIMEN, false).score(regimens, regimens), BOOTSTRAP);
    assertEquals("60 Gy in 30 fractions", reg.answer());
    assertEquals("ROUGE-1 F", reg.metric());
    assertNull(reg.prf());
  }

  StudyReport report(int n, Map<String, String> provenance) {
    TaskScore[] m = modality(n);
    TaskComparison c = TaskComparison.of(m[0], m[1], BOOTSTRAP);
    List<TrainingPoint> loss = new ArrayList<>();
    for (int s = 1; s <= 10_000; s += 100) loss.add(new TrainingPoint(s, 2 + Math.sin(s)));
    return new StudyReport(
        "Study",
        "base",
        "LoRA",
        List.of(c),
        loss,
        List.of(new TrainingPoint(5000, 2.1)),
        List.of(),
        1,
        List.of(Baseline.of(m[0], BOOTSTRAP)),
        provenance);
  }

  @Test
  void reportMdShowsTheBaselineRowTheProvenanceAndWarnsOfFewCases() throws IOException {
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("base model", "/models/mistral-7b");
    provenance.put("adapter", "/runs/a|b");
    provenance.put("lorakit", "0.1.0");
    ReportWriter.write(dir.resolve("r"), report(100, provenance));
    String md = Files.readString(dir.resolve("r/report.md"));
    assertTrue(md.contains("| modality | photon | accuracy | 0.820 ["), md);
    assertTrue(
        md.contains(
            "| base model | /models/mistral-7b |\n| adapter | /runs/a\\|b |\n| lorakit | 0.1.0 |"),
        md);
    assertTrue(!md.contains("Warning"), md);
    JsonNode json = new ObjectMapper().readTree(dir.resolve("r/report.json").toFile());
    assertEquals("photon", json.get("baselines").get(0).get("answer").asText());
    assertEquals("/models/mistral-7b", json.get("provenance").get("base model").asText());

    ReportWriter.write(dir.resolve("few"), report(7, Map.of()));
    assertTrue(
        Files.readString(dir.resolve("few/report.md"))
            .contains(
                "**Warning:** modality has only 7 cases (fewer "
                    + "than 10): its interval is degenerate or nearly so, and its p-value says little."));
    assertNull(ReportWriter.fewCasesWarning("regimen", 10));
  }

  @Test
  void metricsChartDrawsEachIntervalAsItIsBesideTheBaseline() {
    StudyReport r = report(100, Map.of());
    List<Charts.MetricPoint> points = Charts.metricPoints(r.tasks(), r.baselines(), "base", "LoRA");
    assertEquals(
        List.of("baseline", "base", "LoRA"),
        points.stream().map(Charts.MetricPoint::model).toList());
    Charts.MetricPoint base = points.get(1);
    assertEquals(r.tasks().get(0).baseCi().lower(), base.lower(), 0);
    assertEquals(r.tasks().get(0).baseCi().upper(), base.upper(), 0);
    assertTrue(base.lower() < base.estimate() && base.estimate() < base.upper());
    assertEquals(List.of(-0.25, 0.0, 0.25), points.stream().map(Charts.MetricPoint::x).toList());
  }

  @Test
  void theLossCurveIsSmoothedWithoutLagAndItsStepLabelsStayShort() {
    double[] flat = new double[300];
    Arrays.fill(flat, 2.0);
    for (double v : Charts.smooth(flat))
      assertEquals(2.0, v, 1e-9, "no pull towards zero at either end");
    double[] noisy = new double[300];
    for (int i = 0; i < noisy.length; i++) noisy[i] = 2 + (i % 2 == 0 ? 1 : -1);
    double[] s = Charts.smooth(noisy);
    assertTrue(Math.abs(s[150] - 2) < 0.1, "alternating noise averages out: " + s[150]);
    assertArrayEquals(
        new double[] {1, 3},
        Charts.smooth(new double[] {1, 3}),
        "a few points are left as they are");
    double[] falling = new double[300];
    for (int i = 0; i < falling.length; i++) falling[i] = 10 - i / 30.0;
    assertEquals(
        falling[150],
        Charts.smooth(falling)[150],
        1e-9,
        "a straight descent is drawn where it is, not later");
    assertEquals(
        List.of("0", "40", "999", "1k", "2.5k", "10k"),
        DoubleStream.of(0, 40, 999, 1000, 2500, 10_000).mapToObj(Charts::stepLabel).toList());
  }

  @Test
  void theConfusionDiagonalRunsFromTopLeftToBottomRight() {
    ConfusionMatrix m = ConfusionMatrix.of(modality(100)[1]);
    Charts.ConfusionCells cells = Charts.confusionCells(m);
    int rows = m.rowLabels().size();
    assertEquals(
        m.rowLabels().get(0),
        cells.rowLabelsBottomUp().get(rows - 1),
        "the first true label on top");
    for (Number[] cell : cells.cells()) {
      int column = cell[0].intValue();
      int rowFromTop = rows - 1 - cell[1].intValue();
      assertEquals(m.counts()[rowFromTop][column], cell[2].longValue());
      assertTrue(cell[2] instanceof Long, "counts stay integers");
    }
  }

  @Test
  void validationLossesAreReadFromTheLog() throws IOException {
    Path log = dir.resolve("training_log.jsonl");
    Files.writeString(
        log,
        "{\"step\":1,\"loss\":3.0}\n{\"step\":2,\"loss\":2.5,\"val_loss\":2.7}\n"
            + "{\"step\":3,\"eval_loss\":2.6}\n");
    assertEquals(
        List.of(new TrainingPoint(1, 3.0), new TrainingPoint(2, 2.5)), TrainingLog.read(log));
    assertEquals(
        List.of(new TrainingPoint(2, 2.7), new TrainingPoint(3, 2.6)),
        TrainingLog.readValidation(log));
  }
}
