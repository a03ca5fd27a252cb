package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What train and eval keep in their folders so that work is checked before it starts and never done
 * twice.
 */
class RunFolderTest {

  @TempDir static Path dir;
  static TinyRun run;
  static Path model;
  static Path data;
  static List<Case> cases;

  @BeforeAll
  static void files() throws IOException {
    cases = new SyntheticCases(5, 0).generate(8);
    run = TinyRun.write(dir, 3, cases);
    model = run.model();
    data = run.data();
  }

  static String[] train(Path out, String... more) {
    return run.train(out, List.of(), more);
  }

  @Test
  void theAdapterCarriesTheRunsWholeConfigurationAndOverwriteStartsAgain() throws Exception {
    Path out = dir.resolve("args");
    CliRun r = CliRun.of(train(out, "--max-steps", "2", "--grad-accum", "2", "--lr", "3e-4"));
    assertEquals(0, r.exitCode(), r.err());
    JsonNode args = new ObjectMapper().readTree(out.resolve("training_args.json").toFile());
    assertEquals(TrainingArgs.sha256(data), args.path("data_sha256").asText());
    assertEquals(64, args.path("data_sha256").asText().length());
    assertEquals(data.toAbsolutePath().normalize().toString(), args.path("data").asText());
    assertEquals(3e-4, args.path("lr").asDouble());
    assertEquals(2, args.path("grad_accum").asInt());
    assertEquals(Main.version(), args.path("lorakit_version").asText());
    assertEquals(
        PromptTemplates.defaults().template(Task.MODALITY).text(),
        args.path("templates").path("modality").asText());
    assertEquals(
        args,
        new ObjectMapper().readTree(out.resolve("checkpoints/training_args.json").toFile()),
        "the same configuration travels with the checkpoints");
    // True progress: the examples seen are the steps times the batch times the accumulation.
    assertTrue(r.err().contains("step 2/2, 8 examples seen (epoch 1.00)"), r.err());

    Files.writeString(out.resolve("notes.txt"), "mine");
    CliRun again = CliRun.of(train(out, "--max-steps", "1", "--overwrite"));
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(
        1,
        Files.readAllLines(out.resolve("training_log.jsonl")).size(),
        "a new run, not an appended one");
    assertEquals(
        1,
        new ObjectMapper()
            .readTree(out.resolve("training_args.json").toFile())
            .path("steps")
            .asInt());
    assertEquals("mine", Files.readString(out.resolve("notes.txt")), "not lorakit's: kept");
  }

  @Test
  void evalKeepsEachAnswerAsItIsMadeAndResumeTakesThemInsteadOfGenerating() throws Exception {
    Path out = dir.resolve("eval");
    String[] eval = {
      "eval",
      "--model",
      model.toString(),
      "--data",
      data.toString(),
      "--task",
      "modality",
      "--out",
      out.toString(),
      "--device",
      "cpu"
    };
    // An evaluation killed after two answers, the third being written.
    Files.createDirectories(out);
    Files.writeString(out.resolve(OutputFolder.MARKER), "{\"command\": \"eval\"}\n");
    ObjectMapper json = new ObjectMapper();
    StringBuilder journal =
        new StringBuilder(
            json.createObjectNode().put("models", model.toAbsolutePath().normalize().toString())
                + "\n");
    for (Case c : cases.subList(0, 2)) {
      journal
          .append(
              json.createObjectNode()
                  .put("model", "base")
                  .put("max_new_tokens", 4)
                  .put("prompt", PromptTemplates.defaults().prompt(Task.MODALITY, c.diagnosis()))
                  .put("answer", "from-the-journal"))
          .append('\n');
    }
    journal.append("{\"model\": \"ba");
    Files.writeString(out.resolve(AnswerJournal.FILE), journal);

    CliRun resumed = CliRun.of(append(eval, "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(
        resumed.err().contains("Reused 2 answers of the interrupted evaluation."), resumed.err());
    List<JsonNode> answers = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("answers.jsonl")))
      answers.add(json.readTree(line));
    assertEquals(cases.size(), answers.size());
    for (JsonNode a : answers) {
      boolean fromJournal =
          a.path("id").asText().equals(cases.get(0).id())
              || a.path("id").asText().equals(cases.get(1).id());
      assertEquals(fromJournal, a.path("answer").asText().equals("from-the-journal"), a.toString());
    }
    assertFalse(Files.exists(out.resolve(AnswerJournal.FILE)), "complete: the journal is gone");

    CliRun nothingToResume = CliRun.of(append(eval, "--resume"));
    assertEquals(Main.USER_ERROR, nothingToResume.exitCode());
    assertTrue(
        nothingToResume.err().contains("holds no interrupted evaluation"), nothingToResume.err());
  }

  @Test
  void aFolderOnAFileSystemWithoutRoomIsRefusedBeforeTheWork() throws IOException {
    try (OutputFolder f = OutputFolder.claim(dir.resolve("room"), "--out", "merge", false)) {
      long free = Files.getFileStore(f.path()).getUsableSpace();
      f.requireFreeSpace(free / 2, "the merged weights");
      IOException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IOException.class, () -> f.requireFreeSpace(free + (1L << 40), "the merged weights"));
      assertTrue(
          e.getMessage().startsWith("--out " + f.path() + ": the merged weights need about "),
          e.getMessage());
      assertTrue(e.getMessage().contains("are free there."), e.getMessage());
    }
  }

  @Test
  void everyCommandThatWritesAFolderRefusesSomeoneElsesFolder() throws IOException {
    Path adapter = dir.resolve("for-merge");
    assertEquals(0, CliRun.of(train(adapter, "--max-steps", "1")).exitCode());
    Path theirs = dir.resolve("theirs");
    Files.createDirectories(theirs.resolve("sub"));
    Files.writeString(theirs.resolve("thesis.tex"), "t");
    List<String[]> commands =
        List.of(
            train(theirs, "--max-steps", "1"),
            new String[] {
              "eval",
              "--model",
              model.toString(),
              "--data",
              data.toString(),
              "--task",
              "modality",
              "--out",
              theirs.toString(),
              "--device",
              "cpu"
            },
            new String[] {
              "merge",
              "--model",
              model.toString(),
              "--adapter",
              adapter.toString(),
              "--out",
              theirs.toString()
            },
            new String[] {"demo", "--out", theirs.toString(), "--cases", "20", "--steps", "1"});
    for (String[] c : commands) {
      CliRun r = CliRun.of(c);
      assertEquals(Main.USER_ERROR, r.exitCode(), c[0] + ": " + r.err());
      assertTrue(
          r.err()
              .startsWith(
                  "lorakit "
                      + c[0]
                      + ": --out "
                      + theirs
                      + " already holds files that lorakit did "
                      + "not write"),
          r.err());
      try (var files = Files.walk(theirs)) {
        assertEquals(3, files.count(), c[0] + " left the folder as it was");
      }
      assertEquals("t", Files.readString(theirs.resolve("thesis.tex")));
    }
  }

  @Test
  void aMissingInputIsNamedWithItsOption() {
    Path missing = dir.resolve("no-such.jsonl");
    String[] args = train(dir.resolve("never"));
    args[4] = missing.toString();
    CliRun r = CliRun.of(args);
    assertEquals(Main.USER_ERROR, r.exitCode());
    assertEquals("lorakit train: --data " + missing + ": no such file.", r.err().strip());
    CliRun m =
        CliRun.of(
            "eval",
            "--model",
            dir.resolve("nothing").toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("never").toString());
    assertEquals(
        "lorakit eval: --model " + dir.resolve("nothing") + ": no such folder.", m.err().strip());
    assertFalse(Files.exists(dir.resolve("never")));
  }

  private static String[] append(String[] a, String... more) {
    List<String> l = new ArrayList<>(List.of(a));
    l.addAll(List.of(more));
    return l.toArray(String[]::new);
  }
}
