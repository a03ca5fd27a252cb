package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.models.ChatTemplate.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat templates of published models rendered as transformers renders them, and their assistant
 * turns found.
 */
class ChatTemplateTest {

  @TempDir Path dir;

  static final List<Message> TALK =
      List.of(
          new Message("user", "Which modality for a prostate cancer?"),
          new Message("assistant", "photon"),
          new Message("user", "And the ICD-10 code?"),
          new Message("assistant", "C61"));

  static ChatTemplate mistral() throws IOException {
    return ChatTemplate.of(Fixtures.resource("chat/mistral-7b-instruct-v0.1")).orElseThrow();
  }

  static ChatTemplate llama2() throws IOException {
    return ChatTemplate.read(Fixtures.resource("chat/llama-2-7b-chat/tokenizer_config.json"));
  }

  static List<String> spans(ChatTemplate.Rendered r) {
    return r.assistant().stream().map(s -> r.text().substring(s.start(), s.end())).toList();
  }

  @Test
  void mistralInstructRendersAsTransformersDoesWithItsSystemMessageAndWhitespaceControl()
      throws IOException {
    assertEquals(
        "<s> [INST] Which modality for a prostate cancer? [/INST] photon</s> [INST] And the ICD-10 code? "
            + "[/INST] C61</s>",
        mistral().render(TALK, false));
    List<Message> withSystem = new ArrayList<>(TALK);
    withSystem.addFirst(new Message("system", "Answer in one word."));
    ChatTemplate.Rendered r = mistral().renderForTraining(withSystem);
    assertEquals(
        "<s> [INST] Answer in one word.\n\nWhich modality for a prostate cancer? [/INST] photon</s> [INST] "
            + "And the ICD-10 code? [/INST] C61</s>",
        r.text());
    assertEquals(List.of(" photon</s>", " C61</s>"), spans(r));
  }

  @Test
  void llama2ChatRendersTheSystemBlockStripsContentAndMarksReplies() throws IOException {
    List<Message> talk =
        List.of(
            new Message("system", "Be brief."),
            new Message("user", "  Modality?  "),
            new Message("assistant", " photon "),
            new Message("user", "Code?"),
            new Message("assistant", "C61"));
    ChatTemplate.Rendered r = llama2().renderForTraining(talk);
    // strip() applies to the system block and the first message together, as in Python
    assertEquals(
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n  Modality? [/INST] photon </s><s>[INST] Code? [/INST] C61 </s>",
        r.text());
    assertEquals(List.of(" photon </s>", " C61 </s>"), spans(r));
  }

  @Test
  void raiseExceptionInATemplateBecomesItsOwnSentence() throws IOException {
    List<Message> twoUsers = List.of(new Message("user", "a"), new Message("user", "b"));
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> mistral().render(twoUsers, false));
    assertTrue(
        e.getMessage()
            .endsWith(
                "refuses the conversation: After the optional system message, conversation "
                    + "roles must alternate user/assistant/user/assistant/..."),
        e.getMessage());
    LorakitInputException tool =
        assertThrows(
            LorakitInputException.class,
            () -> llama2().render(List.of(new Message("assistant", "x")), false));
    assertTrue(tool.getMessage().contains("Conversation roles must alternate"), tool.getMessage());
  }

  @Test
  void chatMlGenerationPromptIsNotLearnedButTheReplyAndItsEndAre() throws IOException {
    Files.writeString(
        dir.resolve(ChatTemplate.JINJA_FILE),
        "{% for message in messages %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}\n");
    ChatTemplate chatml = ChatTemplate.of(dir).orElseThrow();
    ChatTemplate.Rendered r = chatml.renderForTraining(TALK.subList(0, 2));
    assertEquals(
        "<|im_start|>user\nWhich modality for a prostate cancer?<|im_end|>\n<|im_start|>assistant\nphoton"
            + "<|im_end|>\n",
        r.text());
    assertEquals(List.of("photon<|im_end|>\n"), spans(r));
    assertTrue(chatml.render(TALK.subList(0, 1), true).endsWith("<|im_start|>assistant\n"));
  }

  @Test
  void aTemplateThatRewritesEarlierTurnsIsRefusedAndAModelWithoutOneHasNone() throws IOException {
    ChatTemplate counting =
        new ChatTemplate(
            "{{ messages|length }}{% for m in messages %}{{ m['content'] }}{% endfor %}",
            "<s>", "</s>", "counting.jinja");
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> counting.renderForTraining(TALK));
    assertEquals(
        "the chat template of counting.jinja does not write a conversation prefix by prefix, so the "
            + "assistant's turns cannot be found in it.",
        e.getMessage());
    ChatTemplate broken =
        new ChatTemplate(
            "{% for m in messages %}{{ m['content'] }}", "<s>", "</s>", "broken.jinja");
    assertTrue(
        assertThrows(LorakitInputException.class, () -> broken.render(TALK, false))
            .getMessage()
            .startsWith("the chat template of broken.jinja cannot be rendered: "));
    assertEquals(Optional.empty(), ChatTemplate.of(dir));
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": "
            + "\"x\"}, {\"name\": \"default\", \"template\": \"{{ bos_token }}{{ messages[0]['content'] }}\"}], "
            + "\"bos_token\": \"<|begin|>\"}");
    assertEquals(
        "<|begin|>hi",
        ChatTemplate.of(dir).orElseThrow().render(List.of(new Message("user", "hi")), false));
  }

  /** The learned tokens of {@code r} encoded with {@code t}: text of each run of learned tokens. */
  static List<String> learned(Tokenizer t, ChatTemplate.Rendered r, int[] idsOut) {
    Tokenizer.Pieces p = t.encodeWithOffsets(r.text());
    boolean[] mask = r.assistantTokens(p);
    List<String> runs = new ArrayList<>();
    List<Integer> run = new ArrayList<>();
    for (int i = 0; i <= p.ids().length; i++) {
      if (i < p.ids().length && mask[i]) {
        run.add(p.ids()[i]);
      } else if (!run.isEmpty()) {
        runs.add(t.decode(run.stream().mapToInt(Integer::intValue).toArray(), false));
        run.clear();
      }
    }
    System.arraycopy(p.ids(), 0, idsOut, 0, Math.min(idsOut.length, p.ids().length));
    return runs;
  }

  @Test
  void withTheMistralTokenizerExactlyTheReplyTokensAndTheirEosAreLearned() throws IOException {
    try (Tokenizer t = Tokenizer.bundledMistral()) {
      ChatTemplate.Rendered r = mistral().renderForTraining(TALK);
      int[] first = new int[2];
      assertEquals(List.of("photon</s>", "C61</s>"), learned(t, r, first));
      assertEquals(1, first[0], "the template's <s> is the BOS token, not its letters");
      Tokenizer.Pieces p = t.encodeWithOffsets("<s> [INST] é😀x");
      assertEquals(
          "x",
          "<s> [INST] é😀x".substring(p.starts()[p.ids().length - 1]),
          "offsets count UTF-16 units");
    }
  }

  @Test
  void withTheLlama2TokenizerExactlyTheReplyTokensAndTheirEosAreLearned() throws IOException {
    Optional<Path> json = Fixtures.shared("tokenizers/llama-2/tokenizer.json");
    Fixtures.skipUnlessFound(json, "tokenizers/llama-2/tokenizer.json");
    try (Tokenizer t = Tokenizer.open(json.get())) {
      int[] first = new int[1];
      assertEquals(
          List.of("photon </s>", "C61 </s>"), learned(t, llama2().renderForTraining(TALK), first));
      assertEquals(1, first[0]);
    }
  }
}
