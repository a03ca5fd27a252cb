package dev.lorakit.eval.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.prompt.PromptPair;
import dev.lorakit.models.ChatTemplate.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instruction and chat JSONL: the format told from the first line, every bad line one sentence with
 * file and line.
 */
class TrainingFilesTest {

  @TempDir Path dir;

  Path file(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n");
    return p;
  }

  @Test
  void theFirstLinesFieldsTellTheFormat() throws IOException {
    assertEquals(
        DataFormat.CASES, DataFormat.detect(file("c.jsonl", "{\"id\": 1, \"diagnosis\": \"d\"}")));
    assertEquals(
        DataFormat.INSTRUCTION,
        DataFormat.detect(file("i.jsonl", "", "{\"prompt\": \"p\", \"completion\": \"c\"}")));
    assertEquals(
        DataFormat.INSTRUCTION,
        DataFormat.detect(file("a.jsonl", "{\"instruction\": \"i\", \"output\": \"o\"}")));
    assertEquals(DataFormat.CHAT, DataFormat.detect(file("m.jsonl", "{\"messages\": []}")));
    LorakitInputException e =
        assertThrows(
            LorakitInputException.class,
            () -> DataFormat.detect(file("x.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}")));
    assertEquals(
        "x.jsonl line 1: the fields [question, answer] fit no training format; expected cases {id, diagnosis, "
            + "regimen, modality, icd10}, instruction {prompt, completion} or {instruction, input, output}, or chat "
            + "{messages}.",
        e.getMessage());
    assertNull(DataFormat.fromName("auto"));
    assertEquals(DataFormat.CHAT, DataFormat.fromName("Chat"));
    assertThrows(LorakitInputException.class, () -> DataFormat.fromName("sharegpt"));
  }

  @Test
  void promptCompletionAndAlpacaLinesBecomePromptPairs() throws IOException {
    assertEquals(
        List.of(new PromptPair("Q: 2+2?\nA:", " 4")),
        InstructionFile.read(
            file("p.jsonl", "{\"prompt\": \"Q: 2+2?\\nA:\", \"completion\": \" 4\"}")));
    List<PromptPair> alpaca =
        InstructionFile.read(
            file(
                "alpaca.jsonl",
                "{\"instruction\": \"Name the modality.\", \"input\": \"Prostate cancer.\", \"output\": \"photon\"}",
                "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"hi\"}"));
    assertEquals(
        "Below is an instruction that describes a task, paired with an input that provides further context. "
            + "Write a response that appropriately completes the request.\n\n### Instruction:\nName the modality.\n\n"
            + "### Input:\nProstate cancer.\n\n### Response:\n",
        alpaca.get(0).prompt());
    assertEquals("photon", alpaca.get(0).completion());
    assertEquals(
        "Below is an instruction that describes a task. Write a response that appropriately completes the "
            + "request.\n\n### Instruction:\nSay hi.\n\n### Response:\n",
        alpaca.get(1).prompt());
  }

  @Test
  void aBadOrMixedInstructionLineIsOneSentenceNamingFileLineAndField() throws IOException {
    Path mixed =
        file(
            "mixed.jsonl",
            "{\"prompt\": \"p\", \"completion\": \"c\"}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
    assertEquals(
        "mixed.jsonl line 2: field 'prompt' is missing.",
        assertThrows(LorakitInputException.class, () -> InstructionFile.read(mixed)).getMessage());
    Path notText = file("n.jsonl", "{\"instruction\": \"i\", \"output\": 3}");
    assertEquals(
        "n.jsonl line 1: field 'output' is not text.",
        assertThrows(LorakitInputException.class, () -> InstructionFile.read(notText))
            .getMessage());
    Path empty = file("e.jsonl", "{\"prompt\": \"p\", \"completion\": \"\"}");
    assertEquals(
        "e.jsonl line 1: field 'completion' is empty: nothing to learn.",
        assertThrows(LorakitInputException.class, () -> InstructionFile.read(empty)).getMessage());
  }

  @Test
  void chatLinesAreConversationsWithTheirLineNumbersAndBadOnesAreNamed() throws IOException {
    List<ChatFile.Conversation> c =
        ChatFile.read(
            file(
                "chat.jsonl",
                "",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}"));
    assertEquals(
        List.of(
            new ChatFile.Conversation(
                2, List.of(new Message("user", "Hi"), new Message("assistant", "Hello")))),
        c);
    assertEquals(
        "r.jsonl line 1: messages[1]: field 'role' is 'bot', expected system, user or assistant.",
        assertThrows(
                LorakitInputException.class,
                () ->
                    ChatFile.read(
                        file(
                            "r.jsonl",
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"bot\", \"content\": \"x\"}]}")))
            .getMessage());
    assertEquals(
        "u.jsonl line 1: field 'messages' has no assistant message: nothing to learn.",
        assertThrows(
                LorakitInputException.class,
                () ->
                    ChatFile.read(
                        file(
                            "u.jsonl",
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}")))
            .getMessage());
    assertEquals(
        "p.jsonl line 2: field 'messages' is missing.",
        assertThrows(
                LorakitInputException.class,
                () ->
                    ChatFile.read(
                        file(
                            "p.jsonl",
                            "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}",
                            "{\"prompt\": \"p\"}")))
            .getMessage());
  }
}
