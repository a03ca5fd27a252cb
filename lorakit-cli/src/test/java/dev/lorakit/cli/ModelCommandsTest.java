package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.synth.SyntheticCases;
import dev.lorakit.models.LoraModel;
import dev.lorakit.models.MergedModel;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * train, eval, generate and merge on a tiny random model (vocabulary 32000, width 32, one block).
 */
class ModelCommandsTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndCases() throws IOException {
    model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 11, SafeTensorsDtype.F32);
    data = dir.resolve("cases.jsonl");
    CaseFile.write(data, new SyntheticCases(5, 0).generate(12));
  }

  static String[] train(Path out, String... more) {
    return train(out, 4, more);
  }

  static String[] train(Path out, int steps, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--task",
                "modality",
                "--out",
                out.toString(),
                "--max-steps",
                Integer.toString(steps),
                "--batch-size",
                "2",
                "--grad-accum",
                "2",
                "--lr",
                "1e-2",
                "--lora-r",
                "4",
                "--device",
                "cpu",
                "--checkpoint-every",
                "0"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  static Map<String, float[]> tensors(Path adapter) throws IOException {
    Map<String, float[]> out = new TreeMap<>();
    PeftAdapter a = PeftAdapter.read(adapter);
    a.tensors().forEach((k, v) -> out.put(k, v.values()));
    return out;
  }

  @Test
  void trainWritesAPeftAdapterALogAndALossCurve() throws IOException {
    Path out = dir.resolve("adapter");
    CliRun r = CliRun.of(train(out));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("Trained 4 steps"), r.out());
    for (String f :
        List.of(
            "adapter_config.json", "adapter_model.safetensors", "training_log.jsonl", "loss.png")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    List<String> log = Files.readAllLines(out.resolve("training_log.jsonl"));
    assertEquals(4, log.size());
    for (String key :
        List.of(
            "\"step\":4",
            "\"loss\":",
            "\"lr\":",
            "\"grad_norm\":",
            "\"tokens\":",
            "\"elapsed\":")) {
      assertTrue(log.get(3).contains(key), log.get(3));
    }
    assertTrue(
        r.err().contains("train [") && r.err().contains("tok/s") && r.err().contains("ETA"),
        r.err());
    PeftAdapter a = PeftAdapter.read(out);
    assertEquals(4, a.config().r());
    assertEquals(2 * 7, a.tensors().size(), "A and B for seven projections in one block");
    assertTrue(a.tensors().values().stream().anyMatch(t -> t.values()[0] != 0));
  }

  @Test
  void trainNamesTheCasesItLeavesOutForLength() throws IOException {
    Path longCases = dir.resolve("with-long.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(data));
    for (String id : List.of("long-a", "long-b")) {
      lines.add(
          2,
          "{\"id\": \""
              + id
              + "\", \"diagnosis\": \""
              + "carcinoma ".repeat(300)
              + "\", \"modality\": \"photon\"}");
    }
    Files.write(longCases, lines);
    String[] args = train(dir.resolve("long-out"), 1);
    args[Arrays.asList(args).indexOf(data.toString())] = longCases.toString();
    CliRun r = CliRun.of(args);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.err()
            .contains(
                "Left out 2 of 14 examples longer than --max-seq-len 512 (cases long-b, long-a)."),
        r.err());
  }

  @Test
  void aStopEndsAtAStepBoundaryWithACheckpointAndResumeFinishesTheSameRun() throws IOException {
    Path whole = dir.resolve("whole");
    String[] everyStep = train(whole, "--keep-checkpoints", "2");
    everyStep[Arrays.asList(everyStep).indexOf("--checkpoint-every") + 1] = "1";
    assertEquals(0, CliRun.of(everyStep).exitCode());
    try (Stream<Path> kept = Files.list(whole.resolve("checkpoints"))) {
      assertEquals(
          List.of("checkpoint-3.safetensors", "checkpoint-4.safetensors"),
          kept.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("checkpoint-"))
              .sorted()
              .toList(),
          "--keep-checkpoints 2 keeps the newest two of four");
    }

    Path split = dir.resolve("split");
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(err, true));
    TrainCommand cmd = cl.getSubcommands().get("train").getCommand();
    cmd.stop = StopSignal.manual();
    cmd.stop.request(); // as Ctrl-C would, before the first step ends
    assertEquals(130, cl.execute(train(split)));
    assertTrue(err.toString().contains("Stopped at step 1 of 4"), err.toString());
    assertTrue(Files.exists(split.resolve("checkpoints/checkpoint-1.safetensors")));
    assertFalse(
        Files.exists(split.resolve("adapter_config.json")), "no adapter until the run is complete");
    assertEquals(1, Files.readAllLines(split.resolve("training_log.jsonl")).size());

    CliRun resumed = CliRun.of(train(split, "--resume"));
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.err().contains("Resuming from"), resumed.err());
    Map<String, float[]> expected = tensors(whole);
    Map<String, float[]> actual = tensors(split);
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    assertEquals(4, Files.readAllLines(split.resolve("training_log.jsonl")).size());
  }

  @Test
  void mergedWeightsGiveTheLogitsOfBasePlusAdapterAndKeepTheSharding() throws IOException {
    Path adapter = dir.resolve("for-merge");
    assertEquals(0, CliRun.of(train(adapter, 3)).exitCode());
    Path sharded = dir.resolve("sharded");
    Shards.split(model, sharded);
    for (Path base : List.of(model, sharded)) {
      Path merged = dir.resolve("merged-" + base.getFileName());
      CliRun r =
          CliRun.of(
              "merge",
              "--model",
              base.toString(),
              "--adapter",
              adapter.toString(),
              "--out",
              merged.toString());
      assertEquals(0, r.exitCode(), r.err());
      assertEquals(MergedModel.shards(base), MergedModel.shards(merged));
      for (String shard : MergedModel.shards(base)) {
        try (SafeTensorsFile a = SafeTensorsFile.open(base.resolve(shard));
            SafeTensorsFile b = SafeTensorsFile.open(merged.resolve(shard))) {
          assertEquals(a.names(), b.names(), shard);
        }
      }
      for (String copied : List.of("config.json", "tokenizer.json")) {
        assertArrayEquals(
            Files.readAllBytes(base.resolve(copied)), Files.readAllBytes(merged.resolve(copied)));
      }
      int[] ids = {1, 851, 264, 1369, 28723, 13, 5785, 2045, 28747};
      try (CpuBackend backend = new CpuBackend();
          LoraModel withAdapter = LoraModel.open(base, backend, Precision.FP32);
          LoraWeights lora = LoraWeights.read(adapter, withAdapter.decoder().config(), backend);
          LoraModel folded = LoraModel.open(merged, backend, Precision.FP32)) {
        withAdapter.decoder().setLora(lora);
        float[] expected = backend.download(withAdapter.decoder().forward(ids, 1).logits());
        float[] actual = backend.download(folded.decoder().forward(ids, 1).logits());
        float[] plain;
        withAdapter.decoder().setLora(null);
        plain = backend.download(withAdapter.decoder().forward(ids, 1).logits());
        assertTrue(
            relativeError(expected, actual) < 1e-5,
            "merged vs adapter: " + relativeError(expected, actual));
        assertTrue(relativeError(expected, plain) > 1e-4, "the adapter changes the logits");
      }
    }
  }

  static double relativeError(float[] expected, float[] actual) {
    double err = 0;
    double ref = 0;
    for (int i = 0; i < expected.length; i++) {
      err += Math.pow(expected[i] - actual[i], 2);
      ref += Math.pow(expected[i], 2);
    }
    return Math.sqrt(err / ref);
  }

  @Test
  void evalComparesBaseAndTunedAndGenerateAnswers() throws IOException {
    Path adapter = dir.resolve("for-eval");
    assertEquals(0, CliRun.of(train(adapter, 2)).exitCode());
    Path report = dir.resolve("report");
    CliRun r =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--compare-base",
            "--data",
            data.toString(),
            "--task",
            "all",
            "--out",
            report.toString(),
            "--device",
            "cpu",
            "--max-new-tokens",
            "3");
    assertEquals(0, r.exitCode(), r.err());
    for (String task : List.of("regimen", "modality", "icd10")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(task + " ")), r.out());
    }
    for (String f : List.of("report.md", "report.json", "metrics.png", "loss.png")) {
      assertTrue(Files.size(report.resolve(f)) > 0, f);
    }
    Path single = dir.resolve("single");
    CliRun one =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--task",
            "icd10",
            "--out",
            single.toString(),
            "--device",
            "cpu");
    assertEquals(0, one.exitCode(), one.err());
    assertEquals(12, Files.readAllLines(single.resolve("answers.jsonl")).size());
    assertTrue(Files.readString(single.resolve("scores.json")).contains("\"icd10\""));

    CliRun g =
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--prompt",
            "Hello",
            "--max-new-tokens",
            "5",
            "--device",
            "cpu");
    assertEquals(0, g.exitCode(), g.err());
    CliRun again =
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--prompt",
            "Hello",
            "--max-new-tokens",
            "5",
            "--device",
            "cpu");
    assertEquals(g.out(), again.out(), "greedy decoding is deterministic");
    CliRun cases =
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--case-file",
            data.toString(),
            "--task",
            "modality",
            "--device",
            "cpu",
            "--temperature",
            "0.8",
            "--top-k",
            "50",
            "--top-p",
            "0.9",
            "--seed",
            "3");
    assertEquals(0, cases.exitCode(), cases.err());
    assertEquals(
        12, cases.out().lines().filter(l -> l.startsWith("{\"id\":")).count(), cases.out());
  }
}
