package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatsCommandTest {

  @TempDir Path dir;

  @Test
  void wilcoxonOnPairsMatchesScipy() throws Exception {
    // x - y = 0.12, 0.35, -0.05, 0.4, 0.22: scipy greater -> statistic 14, p 0.0625 (exact)
    Path csv = dir.resolve("pairs.csv");
    Files.writeString(csv, "x,y\n0.62,0.5\n0.85,0.5\n0.45,0.5\n0.9,0.5\n0.72,0.5\n");
    CliRun r =
        CliRun.of(
            "stats", "wilcoxon", "--input", csv.toString(), "--alternative", "greater", "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode o = new ObjectMapper().readTree(r.out());
    assertEquals(14.0, o.get("statistic").asDouble());
    assertEquals(0.0625, o.get("pvalue").asDouble(), 1e-15);
    assertEquals("exact", o.get("method").asText());
    assertEquals(5, o.get("n").asInt());
  }

  @Test
  void wilcoxonOnDifferencesWithOptions() throws Exception {
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, "d\n0.1\n0.2\n0.2\n-0.1\n0.0\n0.3\n0.2\n-0.4\n0.5\n0.1\n");
    CliRun r =
        CliRun.of(
            "stats",
            "wilcoxon",
            "--input",
            csv.toString(),
            "--alternative",
            "greater",
            "--zero-method",
            "zsplit",
            "--method",
            "asymptotic",
            "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode o = new ObjectMapper().readTree(r.out());
    assertEquals(42.5, o.get("statistic").asDouble());
    assertEquals(0.06215319837607619, o.get("pvalue").asDouble(), 1e-12 * 0.0622);
    assertEquals("asymptotic", o.get("method").asText());

    CliRun corrected =
        CliRun.of(
            "stats",
            "wilcoxon",
            "--input",
            csv.toString(),
            "--alternative",
            "greater",
            "--correction",
            "--method",
            "asymptotic",
            "--json");
    assertEquals(
        0.07611198984792128,
        new ObjectMapper().readTree(corrected.out()).get("pvalue").asDouble(),
        1e-12 * 0.0762);

    CliRun table = CliRun.of("stats", "wilcoxon", "--input", csv.toString());
    assertEquals(0, table.exitCode(), table.err());
    assertTrue(table.out().contains("p-value") && table.out().contains("permutation"), table.out());
  }

  @Test
  void badCsvIsOneSentenceNamingFileAndLine() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "x,y\n1,2\n3,abc\n");
    CliRun r = CliRun.of("stats", "wilcoxon", "--input", csv.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(csv + ":3: \"abc\" is not a finite number."), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());

    Files.writeString(csv, "a,b\n1,2\n");
    r = CliRun.of("stats", "wilcoxon", "--input", csv.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(csv + ":1: the header is \"a,b\"; expected x,y or d."), r.err());

    Files.writeString(csv, "x,y\n1,2,3\n");
    r = CliRun.of("stats", "wilcoxon", "--input", csv.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(csv + ":2: expected 2 numbers"), r.err());

    r = CliRun.of("stats", "wilcoxon", "--input", dir.resolve("missing.csv").toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("missing.csv"), r.err());

    r = CliRun.of("stats", "wilcoxon", "--input", csv.toString(), "--alternative", "bigger");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("unknown alternative 'bigger'"), r.err());
  }
}
