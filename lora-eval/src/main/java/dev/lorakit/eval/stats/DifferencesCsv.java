package dev.lorakit.eval.stats;

import dev.lorakit.core.LorakitInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.Arrays;
import java.util.Locale;

/**
 * Reads paired differences from CSV: a header {@code x,y} (each difference is x - y) or {@code d},
 * then one row of numbers per line. Blank lines are skipped. Any other shape is an error naming the
 * source and line.
 */
public final class DifferencesCsv {

  private DifferencesCsv() {}

  /**
   * @param source the file name (or "standard input") used in error messages
   * @throws LorakitInputException for a bad header, a wrong number of columns, a value that is not
   *     a finite number, or no rows
   */
  public static double[] read(Reader in, String source) throws IOException {
    BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
    String header = null;
    int lineNo = 0;
    for (String line; (line = r.readLine()) != null; ) {
      lineNo++;
      if (!line.isBlank()) {
        header = line;
        break;
      }
    }
    if (header == null)
      throw new LorakitInputException(source + " is empty: expected a header x,y or d.");
    String[] names = cells(stripBom(header));
    boolean paired;
    if (names.length == 2 && names[0].equals("x") && names[1].equals("y")) paired = true;
    else if (names.length == 1 && names[0].equals("d")) paired = false;
    else {
      throw new LorakitInputException(
          source + ":" + lineNo + ": the header is \"" + header.strip() + "\"; expected x,y or d.");
    }
    double[] d = new double[16];
    int n = 0;
    for (String line; (line = r.readLine()) != null; ) {
      lineNo++;
      if (line.isBlank()) continue;
      String[] cells = cells(line);
      if (cells.length != names.length) {
        throw new LorakitInputException(
            source
                + ":"
                + lineNo
                + ": expected "
                + names.length
                + (paired ? " numbers (x,y)" : " number (d)")
                + " but found "
                + cells.length
                + " fields.");
      }
      double v =
          paired
              ? number(cells[0], source, lineNo) - number(cells[1], source, lineNo)
              : number(cells[0], source, lineNo);
      if (n == d.length) d = Arrays.copyOf(d, n * 2);
      d[n++] = v;
    }
    if (n == 0) throw new LorakitInputException(source + " has a header but no rows of numbers.");
    return Arrays.copyOf(d, n);
  }

  private static String[] cells(String line) {
    String[] c = line.split(",", -1);
    for (int i = 0; i < c.length; i++) c[i] = unquote(c[i].strip()).toLowerCase(Locale.ROOT);
    return c;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")
        ? s.substring(1, s.length() - 1).strip()
        : s;
  }

  private static String stripBom(String s) {
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }

  private static double number(String cell, String source, int lineNo) {
    try {
      double v = Double.parseDouble(cell);
      if (Double.isFinite(v) && !cell.endsWith("d") && !cell.endsWith("f")) return v;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new LorakitInputException(
        source + ":" + lineNo + ": \"" + cell + "\" is not a finite number.");
  }
}
