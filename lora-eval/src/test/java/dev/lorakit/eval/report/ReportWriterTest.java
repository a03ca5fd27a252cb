package dev.lorakit.eval.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
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
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

  @TempDir Path dir;

  private static final String[] MODALITIES = {"photon", "proton", "electron", "brachytherapy"};

  /**
   * 40 modality cases: base right on every third, tuned right except every fifth (once unparsable).
   */
  private static TaskScore[] modality() {
    Map<String, String> ref = new LinkedHashMap<>();
    Map<String, String> base = new LinkedHashMap<>();
    Map<String, String> tuned = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      String id = "m" + i;
      String truth = MODALITIES[i % 4];
      ref.put(id, truth);
      base.put(id, i % 3 == 0 ? truth : "photon");
      tuned.put(id, i == 5 ? "no idea" : i % 5 == 0 ? MODALITIES[(i + 1) % 4] : truth);
    }
    TaskScorer s = new TaskScorer(Task.MODALITY, false);
    return new TaskScore[] {s.score(ref, base), s.score(ref, tuned)};
  }

  private static TaskScore[] regimen() {
    Map<String, String> ref = new LinkedHashMap<>();
    Map<String, String> base = new LinkedHashMap<>();
    Map<String, String> tuned = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      String id = "r" + i;
      ref.put(id, (40 + i) + " Gy in " + (15 + i) + " fractions to the whole breast");
      base.put(id, "Radiotherapy, " + (30 + i) + " Gy");
      tuned.put(id, (40 + i) + " Gy in " + (15 + i) + " fractions, breast");
    }
    TaskScorer s = new TaskScorer(Task.REGIMEN, true);
    return new TaskScore[] {s.score(ref, base), s.score(ref, tuned)};
  }

  @Test
  void writesTheWholeFolder() throws IOException {
    Bootstrap bootstrap = new Bootstrap(Bootstrap.DEFAULT_RESAMPLES, 2024);
    TaskScore[] m = modality();
    TaskScore[] r = regimen();
    TaskComparison mc = TaskComparison.of(m[0], m[1], bootstrap);
    TaskComparison rc = TaskComparison.of(r[0], r[1], bootstrap);
    List<TrainingPoint> loss = new ArrayList<>();
    for (int s = 1; s <= 50; s++) loss.add(new TrainingPoint(s, 2.5 / Math.sqrt(s)));
    List<ReviewItem> review = new ArrayList<>();
    for (var c : r[1].cases())
      review.add(
          new ReviewItem(c.id(), "Breast, \"T1N0\"", c.reference(), c.prediction(), "tuned"));
    for (var c : r[0].cases())
      review.add(new ReviewItem(c.id(), "Breast, \"T1N0\"", c.reference(), c.prediction(), "base"));
    StudyReport report =
        new StudyReport(
            "Radiation oncology study", "base-7b", "tuned-7b", List.of(mc, rc), loss, review, 9);

    Path target = dir.resolve("out").resolve("report");
    ReportWriter.write(target, report);

    for (String f :
        List.of(
            "report.md",
            "report.json",
            "metrics.png",
            "confusion_modality_base.png",
            "confusion_modality_tuned.png",
            "loss.png",
            ClinicianReview.SHEET,
            ClinicianReview.KEY)) {
      assertTrue(Files.isRegularFile(target.resolve(f)), f + " is missing");
    }
    for (String png : List.of("metrics.png", "confusion_modality_base.png", "loss.png")) {
      byte[] head = Arrays.copyOf(Files.readAllBytes(target.resolve(png)), 8);
      assertArrayEquals(
          new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
          head,
          png + " is not a PNG");
    }

    // The Markdown table carries the same numbers as the comparison.
    String md = Files.readString(target.resolve("report.md"));
    String modalityRow =
        md.lines().filter(l -> l.startsWith("| modality |")).findFirst().orElseThrow();
    assertTrue(
        modalityRow.contains(
            String.format(
                Locale.ROOT,
                "%.3f [%.3f, %.3f]",
                mc.tunedCi().estimate(),
                mc.tunedCi().lower(),
                mc.tunedCi().upper())),
        modalityRow);
    assertTrue(modalityRow.contains("macro P"), modalityRow);
    assertTrue(
        md.lines().anyMatch(l -> l.startsWith("| regimen |") && l.contains("ROUGE-1 P")), md);

    // The tuned model is much better on modality: a small one-sided p-value, and accuracy as
    // computed.
    assertEquals(m[1].accuracy(), mc.tunedCi().estimate(), 1e-15);
    assertTrue(mc.wilcoxon().pvalue() < 0.01, "p = " + mc.wilcoxon().pvalue());
    assertTrue(
        mc.tunedCi().lower() <= mc.tunedCi().estimate()
            && mc.tunedCi().estimate() <= mc.tunedCi().upper());

    JsonNode json = new ObjectMapper().readTree(target.resolve("report.json").toFile());
    JsonNode t0 = json.get("tasks").get(0);
    assertEquals("modality", t0.get("task").asText());
    assertEquals(40, t0.get("n").asInt());
    assertEquals(mc.wilcoxon().pvalue(), t0.get("wilcoxon").get("pvalue").asDouble(), 0);
    assertEquals(
        ConfusionMatrix.UNPARSED, t0.get("tuned_confusion").get("predicted").get(4).asText());
    assertEquals(40, t0.get("tuned_per_case").size());

    // Writing again replaces the folder and leaves no temporary folders behind.
    ReportWriter.write(
        target, new StudyReport("Second", "b", "t", List.of(rc), List.of(), List.of(), 1));
    assertTrue(Files.readString(target.resolve("report.md")).startsWith("# Second"));
    assertFalse(Files.exists(target.resolve("loss.png")));
    assertFalse(Files.exists(target.resolve(ClinicianReview.SHEET)));
    try (Stream<Path> siblings = Files.list(target.getParent())) {
      assertEquals(List.of(target), siblings.toList());
    }
  }

  @Test
  void aFailedWriteLeavesNothingBehind() throws IOException {
    Path target = dir.resolve("r");
    Files.createDirectories(target);
    Files.writeString(target.resolve("report.md"), "old");
    assertThrows(
        IOException.class,
        () ->
            AtomicFolder.write(
                target,
                folder -> {
                  Files.writeString(folder.resolve("report.md"), "half");
                  throw new IOException("disk full");
                }));
    assertEquals("old", Files.readString(target.resolve("report.md")));
    try (Stream<Path> siblings = Files.list(dir)) {
      assertEquals(List.of(target), siblings.toList());
    }
  }

  @Test
  void comparisonRejectsMismatchedScorings() {
    TaskScore[] m = modality();
    TaskScore[] r = regimen();
    Bootstrap b = new Bootstrap(100, 1);
    assertThrows(IllegalArgumentException.class, () -> TaskComparison.of(m[0], r[1], b));
  }

  @Test
  void confusionMatrixCountsPairs() {
    ConfusionMatrix c = ConfusionMatrix.of(modality()[1]);
    assertEquals(List.of("brachytherapy", "electron", "photon", "proton"), c.rowLabels());
    long total = Arrays.stream(c.counts()).flatMapToLong(Arrays::stream).sum();
    assertEquals(40, total);
    assertEquals(
        1, c.counts()[c.rowLabels().indexOf("proton")][4]); // case 5 (proton) was unparsable
  }

  @Test
  void trainingLogSkipsOtherEventsAndNamesBadLines() throws IOException {
    Path log = dir.resolve("train.jsonl");
    Files.writeString(
        log,
        "{\"step\":1,\"loss\":2.5}\n{\"event\":\"checkpoint\"}\n\n{\"step\":2,\"loss\":2.1,\"lr\":1e-4}\n");
    assertEquals(
        List.of(new TrainingPoint(1, 2.5), new TrainingPoint(2, 2.1)), TrainingLog.read(log));
    Files.writeString(log, "{\"step\":1,\"loss\":2.5}\n{\"step\":\"two\",\"loss\":2.1}\n");
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> TrainingLog.read(log));
    assertEquals(log + ":2: expected an integer field \"step\".", e.getMessage());
    Files.writeString(log, "{\"step\":1,\"loss\":2.5}\nnot json\n");
    e = assertThrows(LorakitInputException.class, () -> TrainingLog.read(log));
    assertTrue(e.getMessage().startsWith(log + ":2: not valid JSON"), e.getMessage());
  }
}
