package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReviewSummaryCommandTest {

  @TempDir Path dir;

  @Test
  void printsShareAndWilsonIntervalPerModel() throws Exception {
    Path key = dir.resolve("clinician_review_key.csv");
    Path sheet = dir.resolve("clinician_review.csv");
    StringBuilder k = new StringBuilder("row_id,model\r\n");
    StringBuilder s =
        new StringBuilder(
            "row_id,case_id,diagnosis,reference_regimen,generated_regimen,acceptable,comment\r\n");
    for (int i = 1; i <= 20; i++) {
      k.append("R").append(i).append(',').append(i <= 10 ? "base" : "tuned").append("\r\n");
      boolean yes = i <= 10 ? i <= 4 : i <= 18; // base 4/10, tuned 8/10
      s.append("R")
          .append(i)
          .append(",c")
          .append(i)
          .append(",\"Dx, stage II\",ref,\"gen\nline\",")
          .append(yes ? "yes" : "no")
          .append(",\r\n");
    }
    Files.writeString(key, k);
    Files.writeString(sheet, s);
    CliRun r = CliRun.of("review-summary", "--sheet", sheet.toString(), "--key", key.toString());
    assertEquals(0, r.exitCode(), r.err());
    // 8 of 10 -> 0.800 [0.490, 0.943]; 4 of 10 -> 0.400 [0.168, 0.687]
    assertTrue(
        r.out()
            .lines()
            .anyMatch(
                l -> l.startsWith("tuned") && l.contains("0.800") && l.contains("[0.490, 0.943]")),
        r.out());
    assertTrue(
        r.out()
            .lines()
            .anyMatch(
                l -> l.startsWith("base") && l.contains("0.400") && l.contains("[0.168, 0.687]")),
        r.out());

    Files.writeString(sheet, "row_id,acceptable\nR1,perhaps\n");
    CliRun bad = CliRun.of("review-summary", "--sheet", sheet.toString(), "--key", key.toString());
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains(":2: acceptable is \"perhaps\""), bad.err());
  }
}
