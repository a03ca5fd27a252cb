package dev.lorakit.eval.cases;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.LorakitInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Case files: JSON Lines, one case per line, UTF-8, as a hospital's own export would be written:
 *
 * <pre>
 * {"id": "c-0001", "diagnosis": "...", "regimen": "...", "modality": "photon", "icd10": "C50.911"}
 * </pre>
 *
 * <p>Reading checks every line and reports all the bad ones at once ({@link
 * InvalidCaseFileException}). Blank lines are skipped; every other line must be a case; ids must be
 * unique. {@code id} may be text or a whole number (read as text), {@code modality} is a wire name
 * in any case, {@code icd10} may be written without the dot or in lower case and is read in
 * canonical form. Further fields are kept as they are.
 *
 * <p>Writing goes to a temporary file in the same folder, is forced to disk, then renamed over the
 * target, so a reader never sees half a file.
 */
public final class CaseFile {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          // Keep decimals exactly as written so extra fields go back out unchanged.
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

  private CaseFile() {}

  /**
   * Reads every case of {@code file}, in file order; every case must hold all three reference
   * answers.
   *
   * @throws InvalidCaseFileException listing every bad line (file, line number, field, what was
   *     expected)
   * @throws IOException if the file cannot be read or is not UTF-8 text
   */
  public static List<Case> read(Path file) throws IOException {
    return read(file, EnumSet.allOf(Task.class));
  }

  /**
   * Reads every case of {@code file}, in file order; every case must hold the reference answers of
   * {@code answers} (e.g. only the modality for training on that task). Other answer fields may be
   * left out; where given they are checked all the same.
   *
   * @throws InvalidCaseFileException listing every bad line (file, line number, field, what was
   *     expected)
   * @throws IOException if the file cannot be read or is not UTF-8 text
   */
  public static List<Case> read(Path file, Collection<Task> answers) throws IOException {
    List<String> problems = new ArrayList<>();
    List<Case> cases = new ArrayList<>();
    for (Line l : lines(file, answers, problems)) cases.add(l.c());
    if (!problems.isEmpty()) throw new InvalidCaseFileException(name(file), problems);
    if (cases.isEmpty()) throw new LorakitInputException(file + " holds no cases.");
    return cases;
  }

  /**
   * Cases to be answered for some tasks.
   *
   * @param cases the cases, in file order
   * @param labelled whether they hold the reference answers of the tasks (then the answers can be
   *     scored); when not, no case holds any of them
   */
  public record Contents(List<Case> cases, boolean labelled) {
    public Contents {
      cases = List.copyOf(cases);
    }
  }

  /**
   * Reads cases to be answered for {@code tasks}: either every case holds those tasks' reference
   * answers, or none holds any of them (unlabelled patients, {@code {"id", "diagnosis"}}). The
   * first case decides which; a later one that differs is a bad line.
   *
   * @throws InvalidCaseFileException listing every bad line
   * @throws IOException if the file cannot be read or is not UTF-8 text
   */
  public static Contents readToAnswer(Path file, Collection<Task> tasks) throws IOException {
    List<String> problems = new ArrayList<>();
    List<Line> lines = lines(file, List.of(), problems);
    boolean labelled = !lines.isEmpty() && tasks.stream().anyMatch(lines.get(0).c()::has);
    List<Case> cases = new ArrayList<>();
    for (Line l : lines) {
      for (Task t : tasks) {
        if (labelled && !l.c().has(t)) {
          problems.add(
              name(file)
                  + " line "
                  + l.number()
                  + ": field '"
                  + t.answerField()
                  + "' is missing, though line "
                  + lines.get(0).number()
                  + " has reference answers; give every case its answers, or none.");
        } else if (!labelled && l.c().has(t)) {
          problems.add(
              name(file)
                  + " line "
                  + l.number()
                  + ": field '"
                  + t.answerField()
                  + "' is given, though line "
                  + lines.get(0).number()
                  + " has no reference answers; give every case its answers, or none.");
        }
      }
      cases.add(l.c());
    }
    if (!problems.isEmpty()) throw new InvalidCaseFileException(name(file), problems);
    if (cases.isEmpty()) throw new LorakitInputException(file + " holds no cases.");
    return new Contents(cases, labelled);
  }

  private record Line(int number, Case c) {}

  /** The good lines of {@code file}; a sentence in {@code problems} for each bad one. */
  private static List<Line> lines(Path file, Collection<Task> answers, List<String> problems)
      throws IOException {
    String name = name(file);
    List<Line> cases = new ArrayList<>();
    Map<String, Integer> lineOfId = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = in.readLine()) != null; ) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1); // byte-order mark
        if (line.isBlank()) continue;
        String where = name + " line " + lineNo + ": ";
        List<String> lineProblems = new ArrayList<>();
        Case c = parseLine(line, where, answers, lineProblems);
        if (c != null) {
          Integer first = lineOfId.putIfAbsent(c.id(), lineNo);
          if (first != null)
            lineProblems.add(where + "id '" + c.id() + "' is already used on line " + first + ".");
          else cases.add(new Line(lineNo, c));
        }
        problems.addAll(lineProblems);
      }
    } catch (CharacterCodingException e) {
      throw new IOException(file + " is not UTF-8 text.", e);
    }
    return cases;
  }

  private static String name(Path file) {
    return file.getFileName() == null ? file.toString() : file.getFileName().toString();
  }

  /**
   * Parses one non-blank line with all three answers required; see {@link #parseLine(String,
   * String, Collection, List)}.
   */
  static Case parseLine(String line, String where, List<String> problems) {
    return parseLine(line, where, EnumSet.allOf(Task.class), problems);
  }

  /**
   * Parses one non-blank line whose answers for {@code answers} are required (the others may be
   * absent or null); adds a sentence to {@code problems} for each bad field; null if any.
   */
  static Case parseLine(
      String line, String where, Collection<Task> answers, List<String> problems) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      problems.add(
          where + "not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").");
      return null;
    }
    if (!(node instanceof ObjectNode obj)) {
      problems.add(
          where
              + "expected a JSON object {\"id\", \"diagnosis\", \"regimen\", \"modality\", \"icd10\"}, found "
              + kind(node)
              + ".");
      return null;
    }
    int before = problems.size();
    String id = id(obj.get("id"), where, problems);
    String diagnosis = text(obj, "diagnosis", true, where, problems);
    String regimen = text(obj, "regimen", answers.contains(Task.REGIMEN), where, problems);
    String modalityText = text(obj, "modality", answers.contains(Task.MODALITY), where, problems);
    Modality modality = null;
    if (modalityText != null) {
      modality = Modality.fromWireName(modalityText).orElse(null);
      if (modality == null) {
        problems.add(
            where
                + "field 'modality' is "
                + quote(modalityText)
                + ", expected "
                + Modality.wireNames()
                + ".");
      }
    }
    String codeText = text(obj, "icd10", answers.contains(Task.ICD10), where, problems);
    String icd10 = null;
    if (codeText != null) {
      icd10 = Icd10.canonical(codeText).orElse(null);
      if (icd10 == null) {
        problems.add(
            where
                + "field 'icd10' is "
                + quote(codeText)
                + ", expected an ICD-10 code such as C50.911 or C61.");
      }
    }
    if (problems.size() > before) return null;
    Map<String, Object> extra = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      if (!Case.FIELDS.contains(e.getKey()))
        extra.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
    }
    return new Case(id, diagnosis, regimen, modality, icd10, extra);
  }

  private static String id(JsonNode v, String where, List<String> problems) {
    if (v == null || v.isNull()) {
      problems.add(where + "field 'id' is missing.");
    } else if (v.isTextual() && !v.asText().isBlank()) {
      return v.asText().strip();
    } else if (v.isIntegralNumber()) {
      return v.bigIntegerValue().toString();
    } else {
      problems.add(
          where + "field 'id' is " + describe(v) + ", expected non-empty text or a whole number.");
    }
    return null;
  }

  private static String text(
      ObjectNode obj, String field, boolean required, String where, List<String> problems) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) {
      if (required) problems.add(where + "field '" + field + "' is missing.");
    } else if (!v.isTextual() || v.asText().isBlank()) {
      problems.add(
          where + "field '" + field + "' is " + describe(v) + ", expected non-empty text.");
    } else {
      return v.asText().strip();
    }
    return null;
  }

  private static String describe(JsonNode v) {
    if (v.isTextual()) return v.asText().isEmpty() ? "empty" : "blank";
    return kind(v) + " " + abbreviate(v.toString());
  }

  private static String kind(JsonNode v) {
    return switch (v.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case STRING -> "text";
      case NULL -> "null";
      default -> v.getNodeType().toString().toLowerCase(Locale.ROOT);
    };
  }

  private static String quote(String s) {
    return "'" + abbreviate(s) + "'";
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /**
   * Writes {@code cases} to {@code file}, one JSON object per line with the fields in the order id,
   * diagnosis, regimen, modality, icd10 (those the case has), then the extra fields. Atomic: either
   * the whole new file is there afterwards or the old one (if any) is untouched.
   *
   * @throws LorakitInputException if two cases share an id
   * @throws IOException naming the file if it cannot be written
   */
  public static void write(Path file, Collection<Case> cases) throws IOException {
    Map<String, Boolean> seen = new HashMap<>();
    for (Case c : cases) {
      if (seen.put(c.id(), Boolean.TRUE) != null) {
        throw new LorakitInputException(
            "cannot write " + file + ": id '" + c.id() + "' occurs twice.");
      }
    }
    StringWriter text = new StringWriter(cases.size() * 400);
    try (JsonGenerator g = JSON.createGenerator(text)) {
      g.setRootValueSeparator(null);
      for (Case c : cases) {
        writeLine(g, c);
        g.writeRaw('\n');
      }
    }
    writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** One case as one line of JSON, without the line end. */
  public static String toJsonLine(Case c) {
    StringWriter w = new StringWriter(400);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      writeLine(g, c);
    } catch (IOException e) {
      throw new AssertionError(e); // a StringWriter does not fail
    }
    return w.toString();
  }

  private static void writeLine(JsonGenerator g, Case c) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", c.id());
    g.writeStringField("diagnosis", c.diagnosis());
    // An answer the case does not have is left out, so an unlabelled case stays {"id",
    // "diagnosis"}.
    if (c.regimen() != null) g.writeStringField("regimen", c.regimen());
    if (c.modality() != null) g.writeStringField("modality", c.modality().wireName());
    if (c.icd10() != null) g.writeStringField("icd10", c.icd10());
    for (Map.Entry<String, Object> e : c.extra().entrySet()) {
      g.writeFieldName(e.getKey());
      JSON.writeValue(g, e.getValue());
    }
    g.writeEndObject();
  }

  /**
   * Temp file in the same folder, fsync, atomic rename; the temp file is removed on any failure.
   */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (!Files.exists(dir))
      throw new IOException("cannot write " + file + ": folder " + dir + " does not exist.");
    if (!Files.isDirectory(dir))
      throw new IOException("cannot write " + file + ": " + dir + " is not a folder.");
    if (Files.isDirectory(target))
      throw new IOException("cannot write " + file + ": it is a folder.");
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    } catch (AccessDeniedException | NoSuchFileException e) {
      throw new IOException("cannot write " + file + ": folder " + dir + " is not writable.", e);
    }
    boolean done = false;
    try {
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: keep its default permissions
      }
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      done = true;
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + e.getMessage() + ".", e);
    } finally {
      if (!done) Files.deleteIfExists(tmp);
    }
    syncFolder(dir);
  }

  // Makes the rename itself durable. Not every platform can open a folder; the data is safe either
  // way.
  private static void syncFolder(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort
    }
  }
}
