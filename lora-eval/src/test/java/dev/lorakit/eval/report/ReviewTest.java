package dev.lorakit.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.LorakitInputException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReviewTest {

  @TempDir Path dir;

  @Test
  void csvRoundTripsAwkwardText() throws Exception {
    List<String> awkward =
        List.of("plain", "with, comma", "say \"hi\"", "two\nlines", "crlf\r\nend", "", " padded ");
    String text = Csv.row(awkward) + Csv.row(List.of("x", "y"));
    List<Csv.Record> rows = Csv.parse(new StringReader(text), "t.csv");
    assertEquals(2, rows.size());
    assertEquals(awkward, rows.get(0).fields());
    assertEquals(List.of("x", "y"), rows.get(1).fields());
    assertEquals(
        4,
        rows.get(1).line()); // the first record spans lines 1-3: one LF and one CRLF inside quotes
  }

  @Test
  void csvErrorsNameTheLine() {
    LorakitInputException open =
        assertThrows(
            LorakitInputException.class,
            () -> Csv.parse(new StringReader("a,b\n\"never closed\n"), "s.csv"));
    assertTrue(open.getMessage().startsWith("s.csv:2:"), open.getMessage());
    LorakitInputException after =
        assertThrows(
            LorakitInputException.class, () -> Csv.parse(new StringReader("a,\"b\"c\n"), "s.csv"));
    assertTrue(
        after.getMessage().startsWith("s.csv:1: text after a closing quote"), after.getMessage());
  }

  @Test
  void sheetIsShuffledBlindedAndSummarised() throws Exception {
    List<ReviewItem> items = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String model = i % 2 == 0 ? "base" : "tuned";
      items.add(
          new ReviewItem(
              "case" + (i / 2),
              "Breast cancer, \"left\"",
              "40.05 Gy in 15 fractions",
              "Regimen " + i + ",\nwith a second line",
              model));
    }
    Path out = dir.resolve("review");
    ClinicianReview.writeFolder(out, items, 5);
    String sheet = Files.readString(out.resolve(ClinicianReview.SHEET));
    assertTrue(
        !sheet.contains("base") && !sheet.contains("tuned"), "the sheet must not name the models");
    List<Csv.Record> rows = Csv.parse(new StringReader(sheet), "sheet");
    assertEquals(ClinicianReview.SHEET_HEADER, rows.get(0).fields());
    assertEquals(21, rows.size());
    List<String> order = rows.stream().skip(1).map(r -> r.fields().get(4)).toList();
    assertNotEquals(
        items.stream().map(ReviewItem::generated).toList(), order, "rows must be shuffled");
    assertEquals(
        items.stream().map(ReviewItem::generated).sorted().toList(),
        order.stream().sorted().toList());

    // Same seed, same order.
    Path again = dir.resolve("again");
    ClinicianReview.writeFolder(again, items, 5);
    assertEquals(sheet, Files.readString(again.resolve(ClinicianReview.SHEET)));

    // Fill it in: tuned rows acceptable except one, base rows acceptable once, one base row left
    // blank.
    Map<String, String> model =
        Csv.parse(Files.newBufferedReader(out.resolve(ClinicianReview.KEY)), "key").stream()
            .skip(1)
            .collect(Collectors.toMap(r -> r.fields().get(0), r -> r.fields().get(1)));
    StringBuilder filled = new StringBuilder(Csv.row(rows.get(0).fields()));
    int tunedNo = 0, baseYes = 0, blank = 0;
    for (Csv.Record r : rows.subList(1, rows.size())) {
      List<String> f = new ArrayList<>(r.fields());
      boolean tuned = model.get(f.get(0)).equals("tuned");
      String answer;
      if (tuned) answer = tunedNo++ == 0 ? "No" : "yes";
      else if (blank++ == 0) answer = "";
      else answer = baseYes++ == 0 ? "Y" : "n";
      f.set(5, answer);
      f.set(6, "ok, \"fine\"");
      filled.append(Csv.row(f));
    }
    Path filledSheet = dir.resolve("filled.csv");
    Files.writeString(filledSheet, filled);
    List<ModelAcceptance> summary =
        ReviewSummary.read(filledSheet, out.resolve(ClinicianReview.KEY));
    assertEquals(2, summary.size());
    ModelAcceptance base = summary.get(0);
    ModelAcceptance tuned = summary.get(1);
    assertEquals("base", base.model());
    assertEquals(1, base.acceptable());
    assertEquals(9, base.reviewed());
    assertEquals(1, base.pending());
    assertEquals(9, tuned.acceptable());
    assertEquals(10, tuned.reviewed());
    assertEquals(0.9, tuned.share().estimate(), 0);
    assertTrue(tuned.share().lower() < 0.9 && tuned.share().upper() > 0.9);
  }

  @Test
  void badAnswersAreReportedWithLine() throws Exception {
    Path key = dir.resolve("key.csv");
    Path sheet = dir.resolve("sheet.csv");
    Files.writeString(key, "row_id,model\nR1,base\nR2,tuned\n");
    Files.writeString(sheet, "row_id,case_id,acceptable\nR1,c1,yes\nR2,c2,maybe\n");
    LorakitInputException e =
        assertThrows(LorakitInputException.class, () -> ReviewSummary.read(sheet, key));
    assertEquals(
        sheet + ":3: acceptable is \"maybe\" for row R2; expected yes or no.", e.getMessage());
    Files.writeString(sheet, "row_id,case_id,acceptable\nR9,c1,yes\n");
    e = assertThrows(LorakitInputException.class, () -> ReviewSummary.read(sheet, key));
    assertTrue(e.getMessage().startsWith(sheet + ":2: row id R9 is not in"), e.getMessage());
    Files.writeString(sheet, "row_id,case_id\nR1,c1\n");
    e = assertThrows(LorakitInputException.class, () -> ReviewSummary.read(sheet, key));
    assertTrue(e.getMessage().contains("no column \"acceptable\""), e.getMessage());
    // Nothing reviewed yet: no share.
    Files.writeString(sheet, "row_id,case_id,acceptable\nR1,c1,\nR2,c2\n");
    assertNull(ReviewSummary.read(sheet, key).get(0).share());
  }
}
