package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCommandTest {

  @TempDir Path dir;

  @Test
  void icd10JsonHasEveryField() throws Exception {
    // The shared prf.json ICD-10 case, with predictions in sloppy spelling and one unparsable
    // answer added.
    List<String> truth = List.of("C50.911", "C61", "C61", "C34.90", "C71.9", "C79.31", "C61");
    List<String> pred =
        List.of("c50911", "C61.", "Code C67.9", "c34.90", "C79.31", "c79.31", "I am not sure");
    Path ref = dir.resolve("ref.jsonl");
    Path p = dir.resolve("pred.jsonl");
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < truth.size(); i++) {
      a.append("{\"id\":\"c")
          .append(i)
          .append("\",\"icd10\":\"")
          .append(truth.get(i))
          .append("\"}\n");
      b.append("{\"id\":\"c")
          .append(6 - i)
          .append("\",\"icd10\":\"")
          .append(pred.get(6 - i))
          .append("\"}\n");
    }
    Files.writeString(ref, a);
    Files.writeString(p, b);
    CliRun r =
        CliRun.of(
            "score",
            "--task",
            "icd10",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString(),
            "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode o = new ObjectMapper().readTree(r.out());
    assertEquals(
        List.of("n", "accuracy", "rouge1", "per_class", "micro", "macro", "weighted", "unparsed"),
        iterable(o.fieldNames()));
    assertEquals(7, o.get("n").asInt());
    assertEquals(4.0 / 7, o.get("accuracy").asDouble(), 1e-15);
    assertEquals("c6", o.get("unparsed").get(0).asText());
    JsonNode c61 = o.get("per_class").get("C61");
    assertEquals(1.0, c61.get("precision").asDouble());
    assertEquals(1.0 / 3, c61.get("recall").asDouble(), 1e-15);
    assertEquals(3, c61.get("support").asInt());
    assertEquals(0.0, o.get("per_class").get("C67.9").get("precision").asDouble());
    // micro: 4 right of 6 parsed predictions, 4 found of 7 true
    assertEquals(4.0 / 6, o.get("micro").get("precision").asDouble(), 1e-15);
    assertEquals(4.0 / 7, o.get("micro").get("recall").asDouble(), 1e-15);
    assertTrue(o.get("rouge1").has("fmeasure"));
  }

  @Test
  void regimenTableAndStemmer() throws Exception {
    Path ref = dir.resolve("r.jsonl");
    Path p = dir.resolve("p.jsonl");
    Files.writeString(
        ref,
        "{\"id\":1,\"regimen\":\"8 Gy x 1 fraction to the painful T10 vertebral metastasis\"}\n");
    Files.writeString(
        p, "{\"id\":1,\"regimen\":\"Palliative radiation 20 Gy/5 fractions to T10\"}\n");
    CliRun plain =
        CliRun.of(
            "score",
            "--task",
            "regimen",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString(),
            "--json");
    CliRun stem =
        CliRun.of(
            "score",
            "--task",
            "regimen",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString(),
            "--json",
            "--stemmer");
    // rouge1.json: 0.3157894736842105 without the stemmer, 0.4210526315789474 with it
    assertEquals(
        0.3157894736842105,
        new ObjectMapper().readTree(plain.out()).get("rouge1").get("fmeasure").asDouble(),
        1e-15);
    assertEquals(
        0.4210526315789474,
        new ObjectMapper().readTree(stem.out()).get("rouge1").get("fmeasure").asDouble(),
        1e-15);
    CliRun table =
        CliRun.of(
            "score",
            "--task",
            "regimen",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString());
    assertEquals(0, table.exitCode(), table.err());
    assertTrue(table.out().contains("ROUGE-1") && table.out().contains("accuracy"), table.out());
  }

  @Test
  void userErrorsNameTheCulprit() throws Exception {
    Path ref = dir.resolve("r.jsonl");
    Path p = dir.resolve("p.jsonl");
    Files.writeString(
        ref, "{\"id\":\"a\",\"modality\":\"photon\"}\n{\"id\":\"b\",\"modality\":\"proton\"}\n");
    Files.writeString(
        p, "{\"id\":\"a\",\"modality\":\"photon\"}\n{\"id\":\"q\",\"modality\":\"proton\"}\n");
    CliRun r =
        CliRun.of(
            "score",
            "--task",
            "modality",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString());
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err().contains("no prediction for b") && r.err().contains("no reference for q"), r.err());

    Files.writeString(p, "{\"id\":\"a\",\"modality\":\"photon\"}\n{oops\n");
    r =
        CliRun.of(
            "score",
            "--task",
            "modality",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(p + ":2: not valid JSON"), r.err());

    r =
        CliRun.of(
            "score",
            "--task",
            "dose",
            "--references",
            ref.toString(),
            "--predictions",
            p.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("unknown task 'dose'"), r.err());
  }

  private static List<String> iterable(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
