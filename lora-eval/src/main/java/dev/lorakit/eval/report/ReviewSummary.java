package dev.lorakit.eval.report;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.stats.WilsonInterval;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Reads a filled-in review sheet and its key back, and counts acceptable regimens per model. */
public final class ReviewSummary {

  private static final Set<String> YES = Set.of("yes", "y", "true", "1", "acceptable");
  private static final Set<String> NO =
      Set.of("no", "n", "false", "0", "not acceptable", "unacceptable");

  private ReviewSummary() {}

  /**
   * @return one entry per model, sorted by model name
   * @throws LorakitInputException for a missing column, an unknown or repeated row id, or an {@code
   *     acceptable} value other than yes/no (or blank, which means not yet reviewed)
   */
  public static List<ModelAcceptance> read(Path sheet, Path key) throws IOException {
    Map<String, String> modelOfRow = new HashMap<>();
    List<Csv.Record> keyRows = records(key);
    int keyRow = column(keyRows, key, "row_id");
    int keyModel = column(keyRows, key, "model");
    for (Csv.Record r : keyRows.subList(1, keyRows.size())) {
      String id = cell(r, keyRow, key);
      if (modelOfRow.put(id, cell(r, keyModel, key)) != null) {
        throw new LorakitInputException(
            key + ":" + r.line() + ": row id " + id + " appears twice.");
      }
    }

    List<Csv.Record> rows = records(sheet);
    int rowCol = column(rows, sheet, "row_id");
    int accCol = column(rows, sheet, "acceptable");
    Map<String, int[]> counts = new TreeMap<>(); // model -> {acceptable, reviewed, pending}
    for (String model : modelOfRow.values()) counts.putIfAbsent(model, new int[3]);
    Set<String> seen = new HashSet<>();
    for (Csv.Record r : rows.subList(1, rows.size())) {
      String id = cell(r, rowCol, sheet);
      String model = modelOfRow.get(id);
      if (model == null)
        throw new LorakitInputException(
            sheet + ":" + r.line() + ": row id " + id + " is not in " + key + ".");
      if (!seen.add(id))
        throw new LorakitInputException(
            sheet + ":" + r.line() + ": row id " + id + " appears twice.");
      String answer = cell(r, accCol, sheet).strip().toLowerCase(Locale.ROOT);
      int[] c = counts.get(model);
      if (answer.isEmpty()) c[2]++;
      else if (YES.contains(answer)) {
        c[0]++;
        c[1]++;
      } else if (NO.contains(answer)) c[1]++;
      else {
        throw new LorakitInputException(
            sheet
                + ":"
                + r.line()
                + ": acceptable is \""
                + cell(r, accCol, sheet)
                + "\" for row "
                + id
                + "; expected yes or no.");
      }
    }
    List<ModelAcceptance> out = new ArrayList<>();
    counts.forEach(
        (model, c) ->
            out.add(
                new ModelAcceptance(
                    model, c[0], c[1], c[2], c[1] == 0 ? null : WilsonInterval.of95(c[0], c[1]))));
    return out;
  }

  private static List<Csv.Record> records(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<Csv.Record> rows = Csv.parse(r, file.toString());
      if (rows.isEmpty())
        throw new LorakitInputException(file + " is empty: expected a header row.");
      return rows;
    }
  }

  private static int column(List<Csv.Record> rows, Path file, String name) {
    List<String> header = rows.get(0).fields();
    for (int i = 0; i < header.size(); i++)
      if (header.get(i).strip().equalsIgnoreCase(name)) return i;
    throw new LorakitInputException(
        file + ":" + rows.get(0).line() + ": no column \"" + name + "\" in the header.");
  }

  private static String cell(Csv.Record r, int col, Path file) {
    // Spreadsheets drop trailing empty cells; a missing cell is an empty one.
    if (col >= r.fields().size()) return "";
    return r.fields().get(col);
  }
}
