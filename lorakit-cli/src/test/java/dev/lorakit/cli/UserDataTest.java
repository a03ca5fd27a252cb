package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data users bring: unlabelled patients, cases labelled for one task, instruction and chat
 * JSONL.
 */
class UserDataTest {

  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, 11, SafeTensorsDtype.F32);
  }

  static Path lines(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n");
    return p;
  }

  static String[] train(Path data, Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--out",
                out.toString(),
                "--max-steps",
                "2",
                "--batch-size",
                "2",
                "--grad-accum",
                "1",
                "--lr",
                "1e-2",
                "--lora-r",
                "2",
                "--device",
                "cpu",
                "--checkpoint-every",
                "0"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void unlabelledPatientsAreAnsweredByGenerateAndEvalWithoutScores() throws IOException {
    Path patients =
        lines(
            "patients.jsonl",
            "{\"id\": \"p1\", \"diagnosis\": \"Prostate adenocarcinoma, Gleason 7.\"}",
            "{\"id\": \"p2\", \"diagnosis\": \"Left breast cancer after lumpectomy.\"}");
    CliRun g =
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--case-file",
            patients.toString(),
            "--task",
            "modality",
            "--device",
            "cpu");
    assertEquals(0, g.exitCode(), g.err());
    assertEquals(
        List.of("p1", "p2"),
        g.out().lines().map(l -> l.replaceAll("^\\{\"id\":\"([^\"]+)\".*", "$1")).toList());

    Path out = dir.resolve("unlabelled-eval");
    CliRun e =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--data",
            patients.toString(),
            "--task",
            "all",
            "--out",
            out.toString(),
            "--device",
            "cpu",
            "--max-new-tokens",
            "4");
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(
        e.out().contains("patients.jsonl has no reference answers, so nothing is scored"), e.out());
    List<String> answers = Files.readAllLines(out.resolve("answers.jsonl"));
    assertEquals(6, answers.size(), "2 patients x 3 tasks");
    assertTrue(
        answers.get(0).startsWith("{\"id\":\"p1\",\"task\":\"regimen\",\"answer\":"),
        answers.get(0));
    assertFalse(Files.exists(out.resolve("scores.json")));

    CliRun compare =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--adapter",
            out.toString(),
            "--compare-base",
            "--data",
            patients.toString(),
            "--out",
            dir.resolve("nothing").toString(),
            "--device",
            "cpu");
    assertEquals(2, compare.exitCode());
    assertTrue(
        compare
            .err()
            .contains(
                "--compare-base scores answers against references, but "
                    + patients
                    + " holds none"),
        compare.err());
  }

  @Test
  void singleTaskTrainAndEvalNeedOnlyThatTasksAnswer() throws IOException {
    List<String> cases = new ArrayList<>();
    String[] modalities = {"photon", "proton", "electron", "brachytherapy"};
    for (int i = 0; i < 4; i++) {
      cases.add(
          "{\"id\": \"c"
              + i
              + "\", \"diagnosis\": \"Case "
              + i
              + ".\", \"modality\": \""
              + modalities[i]
              + "\"}");
    }
    Path data = lines("modality-only.jsonl", cases.toArray(String[]::new));
    Path adapter = dir.resolve("modality-adapter");
    CliRun t = CliRun.of(train(data, adapter, "--task", "modality"));
    assertEquals(0, t.exitCode(), t.err());
    Path out = dir.resolve("modality-eval");
    CliRun e =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--data",
            data.toString(),
            "--task",
            "modality",
            "--out",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(Files.readString(out.resolve("scores.json")).contains("\"modality\""));

    CliRun all = CliRun.of(train(data, dir.resolve("never"), "--task", "all"));
    assertEquals(2, all.exitCode());
    assertTrue(
        all.err().contains("modality-only.jsonl line 1: field 'regimen' is missing."), all.err());
  }

  /**
   * The chat template of mistralai/Mistral-7B-Instruct-v0.1 as first published
   * (tokenizer_config.json).
   */
  static final String MISTRAL_INSTRUCT =
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') "
          + "!= (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/"
          + "assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
          + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}"
          + "{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

  static Path chatModel() throws IOException {
    Path m = dir.resolve("chat-model");
    if (!Files.exists(m)) {
      new TinyModel(32, 64, 1, 2).write(m, 11, SafeTensorsDtype.F32);
      Files.writeString(
          m.resolve("tokenizer_config.json"),
          new com.fasterxml.jackson.databind.ObjectMapper()
              .writeValueAsString(
                  Map.of(
                      "chat_template", MISTRAL_INSTRUCT, "bos_token", "<s>", "eos_token", "</s>")));
    }
    return m;
  }

  static String conversation(String question, String answer) {
    return "{\"messages\": [{\"role\": \"user\", \"content\": \""
        + question
        + "\"}, {\"role\": \"assistant\", "
        + "\"content\": \""
        + answer
        + "\"}, {\"role\": \"user\", \"content\": \"Sure?\"}, {\"role\": "
        + "\"assistant\", \"content\": \"Yes.\"}]}";
  }

  @Test
  void instructionAndAlpacaFilesTrainWithTheFormatToldByTheirFirstLine() throws IOException {
    Path pc =
        lines(
            "pc.jsonl",
            "{\"prompt\": \"Modality for prostate cancer?\\n\", \"completion\": \"photon\"}",
            "{\"prompt\": \"Modality for uveal melanoma?\\n\", \"completion\": \"proton\"}");
    CliRun r = CliRun.of(train(pc, dir.resolve("pc-adapter")));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("Trained 2 steps (instruction) on 2 examples"), r.out());
    Path alpaca =
        lines(
            "alpaca.jsonl",
            "{\"instruction\": \"Name the modality.\", \"input\": \"Prostate.\", "
                + "\"output\": \"photon\"}",
            "{\"instruction\": \"Name the modality.\", \"output\": \"proton\"}");
    CliRun a =
        CliRun.of(train(alpaca, dir.resolve("alpaca-adapter"), "--data-format", "instruction"));
    assertEquals(0, a.exitCode(), a.err());

    Path mixed =
        lines("mixed.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\"}", conversation("q", "a"));
    CliRun m = CliRun.of(train(mixed, dir.resolve("never")));
    assertEquals(2, m.exitCode());
    assertEquals("lorakit train: mixed.jsonl line 2: field 'prompt' is missing.", m.err().strip());
    CliRun asCases = CliRun.of(train(pc, dir.resolve("never"), "--data-format", "cases"));
    assertEquals(2, asCases.exitCode());
    assertTrue(asCases.err().contains("pc.jsonl line 1: field 'id' is missing."), asCases.err());
  }

  @Test
  void chatDataIsRenderedWithTheModelsTemplateAndOnlyTheAssistantTurnsAreLearned()
      throws IOException {
    Path chat =
        lines(
            "chat.jsonl",
            conversation("Modality for prostate cancer?", "photon"),
            conversation("Modality for uveal melanoma?", "proton"));
    CliRun r = CliRun.of(train(chat, dir.resolve("chat-adapter")).clone());
    assertEquals(2, r.exitCode(), "the plain tiny model has no chat template");
    assertTrue(
        r.err()
            .contains(
                "has no chat template (tokenizer_config.json chat_template); give one with "
                    + "--chat-template."),
        r.err());
    String[] args = train(chat, dir.resolve("chat-adapter"));
    args[Arrays.asList(args).indexOf("--model") + 1] = chatModel().toString();
    CliRun ok = CliRun.of(args);
    assertEquals(0, ok.exitCode(), ok.err());
    assertTrue(ok.out().startsWith("Trained 2 steps (chat) on 2 examples"), ok.out());

    TrainingData data = TrainingData.read(chat, "auto", List.of(), chatModel(), null);
    try (dev.lorakit.models.Tokenizer t = dev.lorakit.models.Tokenizer.bundledMistral()) {
      dev.lorakit.core.train.Example e = data.examples(List.of(), null, t, 512).examples().get(0);
      int[] ids = e.ids();
      int[] labels = e.labels();
      assertEquals(1, ids[0], "BOS from the template's bos_token");
      List<Integer> learned = new ArrayList<>();
      for (int i = 0; i < ids.length; i++)
        if (labels[i] != dev.lorakit.core.backend.Backend.IGNORE_INDEX) learned.add(ids[i]);
      assertEquals(
          "photon</s>Yes.</s>",
          t.decode(learned.stream().mapToInt(Integer::intValue).toArray(), false).replace(" ", ""));
      assertEquals(
          ids.length,
          t.encodeNoBos(
                  "<s>[INST] Modality for prostate cancer? [/INST]photon</s> [INST] Sure? "
                      + "[/INST]Yes.</s> ")
              .length,
          "the whole conversation as the template writes it, its <s> a token");
    }

    Path refused =
        lines(
            "refused.jsonl",
            conversation("q", "a"),
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}, "
                + "{\"role\": \"assistant\", \"content\": \"c\"}]}");
    CliRun no =
        CliRun.of(
            train(
                refused,
                dir.resolve("never"),
                "--chat-template",
                chatModel().resolve("tokenizer_config.json").toString()));
    assertEquals(2, no.exitCode());
    assertEquals(
        "lorakit train: refused.jsonl line 2: the chat template of "
            + chatModel().resolve("tokenizer_config.json")
            + " refuses the conversation: Conversation roles must alternate user/assistant/user/assistant/...",
        no.err().strip());
  }
}
