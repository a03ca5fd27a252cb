package dev.lorakit.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading the text files users hand to lorakit (JSON configurations, case files, tokenizers), with
 * errors in the user's words: where the problem is and what it is, never the parser's internal
 * names.
 */
public final class TextFiles {

  private static final Pattern NUMBER_LENGTH =
      Pattern.compile("Number value length \\((\\d+)\\) exceeds the maximum allowed \\((\\d+)");
  private static final Pattern STRING_LENGTH =
      Pattern.compile("String value length \\((\\d+)\\) exceeds the maximum allowed \\((\\d+)");
  private static final Pattern DEPTH =
      Pattern.compile("nesting depth \\((\\d+)\\) exceeds the maximum allowed \\((\\d+)");
  private static final Pattern NON_STANDARD = Pattern.compile("Non-standard token '([^']*)'");

  private TextFiles() {}

  /**
   * Writes {@code text} as UTF-8 to {@code file} atomically: a reader sees the old file or the
   * whole new one, never a part (see {@link AtomicFile}).
   */
  public static void writeAtomically(Path file, String text) throws IOException {
    try (AtomicFile f = AtomicFile.create(file)) {
      f.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      f.commit();
    }
  }

  /**
   * The file's text, which must be UTF-8.
   *
   * @throws IOException in one sentence naming the file and the byte where it stops being UTF-8
   */
  public static String readUtf8(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    CharsetDecoder d =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult r = d.decode(in, out, true);
    if (r.isError()) {
      throw new IOException(
          file
              + " is not UTF-8 text (byte "
              + in.position()
              + " of "
              + bytes.length
              + " is not valid UTF-8).");
    }
    d.flush(out);
    return out.flip().toString();
  }

  /**
   * Whether {@code e} is a file's bytes not being UTF-8 (for messages where the file is known
   * elsewhere).
   */
  public static boolean isNotUtf8(Throwable e) {
    return e instanceof CharacterCodingException;
  }

  /**
   * Where and why a JSON text could not be read, as a phrase: {@code at line 3, column 12: NaN is
   * not a JSON number (write a number or null)}.
   */
  public static String jsonProblem(JacksonException e) {
    JsonLocation at = e.getLocation();
    String where =
        at == null || at.getLineNr() < 1
            ? ""
            : "at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
    return where + plain(e.getOriginalMessage());
  }

  /** Jackson's message without its class and option names. */
  static String plain(String m) {
    if (m == null) return "unreadable";
    Matcher x = NUMBER_LENGTH.matcher(m);
    if (x.find())
      return "a number of "
          + x.group(1)
          + " digits, more than the "
          + x.group(2)
          + " lorakit reads";
    x = STRING_LENGTH.matcher(m);
    if (x.find())
      return "a string of "
          + x.group(1)
          + " characters, more than the "
          + x.group(2)
          + " lorakit reads";
    x = DEPTH.matcher(m);
    if (x.find())
      return "nesting "
          + x.group(1)
          + " levels deep, more than the "
          + x.group(2)
          + " lorakit reads";
    x = NON_STANDARD.matcher(m);
    if (x.find()) return x.group(1) + " is not a JSON number; write a number";
    String first = m.lines().findFirst().orElse(m).strip();
    first =
        first
            .replaceAll("\\s*\\([^)]*`[^)]*\\)", "")
            .replaceAll(":?\\s*enable `[^`]*`[^.;]*", "")
            .replaceAll("`", "'");
    return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
  }
}
