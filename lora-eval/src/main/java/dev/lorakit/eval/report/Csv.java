package dev.lorakit.eval.report;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; reading accepts
 * quoted fields spanning lines. Spreadsheets that re-save the review sheet keep this shape.
 */
public final class Csv {

  private Csv() {}

  /** One record, with the line ending {@code \r\n} that RFC 4180 prescribes. */
  public static String row(List<String> fields) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) b.append(',');
      b.append(field(fields.get(i)));
    }
    return b.append("\r\n").toString();
  }

  static String field(String s) {
    if (s == null) return "";
    boolean quote =
        s.indexOf(',') >= 0
            || s.indexOf('"') >= 0
            || s.indexOf('\n') >= 0
            || s.indexOf('\r') >= 0
            || (!s.isEmpty()
                && (Character.isWhitespace(s.charAt(0))
                    || Character.isWhitespace(s.charAt(s.length() - 1))));
    return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  /** A parsed record and the line it starts on (1-based), for error messages. */
  public record Record(int line, List<String> fields) {}

  /**
   * Parses all records; blank lines are skipped.
   *
   * @param source the file name used in error messages
   * @throws LorakitInputException for a quote left open or text after a closing quote
   */
  public static List<Record> parse(Reader in, String source) throws IOException {
    String text = readAll(in);
    if (text.startsWith("\uFEFF")) text = text.substring(1);
    List<Record> records = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int line = 1;
    int recordLine = 1;
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '"' && field.isEmpty()) {
        // A quoted field: up to the next lone quote; doubled quotes are one quote; newlines are
        // kept.
        int start = line;
        i++;
        while (true) {
          if (i >= n)
            throw new LorakitInputException(
                source + ":" + start + ": a quoted field is never closed.");
          char q = text.charAt(i);
          if (q == '"') {
            if (i + 1 < n && text.charAt(i + 1) == '"') {
              field.append('"');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (q == '\n') line++;
          field.append(q);
          i++;
        }
        if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\r' && text.charAt(i) != '\n') {
          throw new LorakitInputException(
              source
                  + ":"
                  + line
                  + ": text after a closing quote; expected a comma or the end of the line.");
        }
        fields.add(field.toString());
        field.setLength(0);
        if (i < n && text.charAt(i) == ',') {
          i++;
          if (i == n || text.charAt(i) == '\r' || text.charAt(i) == '\n') fields.add("");
        }
        continue;
      }
      if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
        i++;
        if (i == n || text.charAt(i) == '\r' || text.charAt(i) == '\n') fields.add("");
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (!field.isEmpty()) fields.add(field.toString());
        if (!fields.isEmpty()) records.add(new Record(recordLine, List.copyOf(fields)));
        fields.clear();
        field.setLength(0);
        i += c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n' ? 2 : 1;
        line++;
        recordLine = line;
        continue;
      }
      field.append(c);
      i++;
    }
    if (!field.isEmpty()) fields.add(field.toString());
    if (!fields.isEmpty()) records.add(new Record(recordLine, List.copyOf(fields)));
    return records;
  }

  private static String readAll(Reader in) throws IOException {
    StringBuilder b = new StringBuilder();
    char[] buf = new char[8192];
    for (int r; (r = in.read(buf)) != -1; ) b.append(buf, 0, r);
    return b.toString();
  }
}
