package dev.lorakit.eval.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The blinded review sheet for generated regimens: {@code clinician_review.csv} lists the items in
 * a seeded random order under neutral row ids, with empty {@code acceptable} (yes/no) and {@code
 * comment} columns; {@code clinician_review_key.csv} maps each row id to the model that wrote the
 * regimen.
 */
public final class ClinicianReview {

  public static final String SHEET = "clinician_review.csv";
  public static final String KEY = "clinician_review_key.csv";
  static final List<String> SHEET_HEADER =
      List.of(
          "row_id",
          "case_id",
          "diagnosis",
          "reference_regimen",
          "generated_regimen",
          "acceptable",
          "comment");
  static final List<String> KEY_HEADER = List.of("row_id", "model");

  private ClinicianReview() {}

  /** Writes both files into {@code folder} (a folder being filled atomically). */
  static void write(Path folder, List<ReviewItem> items, long seed) throws IOException {
    List<ReviewItem> shuffled = new ArrayList<>(items);
    // java.util.Random is specified exactly, so the order is the same for a seed on every JVM.
    Collections.shuffle(shuffled, new Random(seed));
    StringBuilder sheet = new StringBuilder(Csv.row(SHEET_HEADER));
    StringBuilder key = new StringBuilder(Csv.row(KEY_HEADER));
    int width = String.valueOf(shuffled.size()).length();
    for (int i = 0; i < shuffled.size(); i++) {
      ReviewItem it = shuffled.get(i);
      String rowId = "R" + String.format("%0" + width + "d", i + 1);
      sheet.append(
          Csv.row(
              List.of(
                  rowId,
                  it.caseId(),
                  nz(it.diagnosis()),
                  nz(it.reference()),
                  nz(it.generated()),
                  "",
                  "")));
      key.append(Csv.row(List.of(rowId, it.model())));
    }
    AtomicFolder.writeString(folder.resolve(SHEET), sheet.toString());
    AtomicFolder.writeString(folder.resolve(KEY), key.toString());
  }

  /** Writes only the two review files into {@code target}, atomically. */
  public static void writeFolder(Path target, List<ReviewItem> items, long seed)
      throws IOException {
    AtomicFolder.write(target, folder -> write(folder, items, seed));
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
