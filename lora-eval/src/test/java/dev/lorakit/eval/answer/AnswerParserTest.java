package dev.lorakit.eval.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.synth.SyntheticCases;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnswerParserTest {

  @Test
  void parsesIntoTheFormOfTheReferenceAnswer() {
    assertEquals(
        Optional.of("brachytherapy"), AnswerParser.parse(Task.MODALITY, "HDR brachytherapy."));
    assertEquals(Optional.of("C50.912"), AnswerParser.parse(Task.ICD10, "code: c50912"));
    assertEquals(
        Optional.of("40 Gy in 15 fractions."),
        AnswerParser.parse(Task.REGIMEN, "  40 Gy\n in  15 fractions.\n"));
    assertEquals(Optional.empty(), AnswerParser.parse(Task.REGIMEN, " \n "));
    assertEquals(Optional.empty(), AnswerParser.parse(Task.MODALITY, "radiotherapy"));
    assertEquals(Optional.empty(), AnswerParser.parse(Task.ICD10, null));
  }

  @Test
  void everyReferenceAnswerParsesToItself() {
    for (Case c : new SyntheticCases(3, 0.05).generate(2000)) {
      for (Task t : Task.values())
        assertEquals(Optional.of(t.answer(c)), AnswerParser.parse(t, t.answer(c)), c.toString());
    }
  }
}
