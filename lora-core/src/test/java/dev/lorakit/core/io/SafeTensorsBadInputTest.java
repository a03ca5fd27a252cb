package dev.lorakit.core.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every rule of the format, broken once: the exception names the file, the tensor and the rule. */
class SafeTensorsBadInputTest {
  @TempDir Path dir;

  private SafeTensorsException openFails(Path file) {
    return assertThrows(SafeTensorsException.class, () -> SafeTensorsFile.open(file).close());
  }

  private static void assertMentions(SafeTensorsException e, String... parts) {
    for (String part : parts) {
      assertTrue(
          e.getMessage().contains(part), () -> "\"" + part + "\" missing from: " + e.getMessage());
    }
  }

  private Path withHeader(String name, String header, int dataBytes) throws IOException {
    return RawFiles.write(dir.resolve(name), header, new byte[dataBytes]);
  }

  private static String tensor(String name, String dtype, String shape, long begin, long end) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":["
        + begin
        + ","
        + end
        + "]}";
  }

  @Test
  void fileShorterThanEightBytes() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    assertMentions(
        openFails(file), "tiny.safetensors", "truncated", "3 bytes", "8-byte header length");
  }

  @Test
  void fileShorterThanItsHeader() throws IOException {
    byte[] header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
            .getBytes(StandardCharsets.UTF_8);
    Path file =
        RawFiles.write(dir.resolve("cut.safetensors"), header.length + 100, header, new byte[0]);
    assertMentions(
        openFails(file),
        "cut.safetensors",
        "truncated",
        "header length " + (header.length + 100),
        "larger than the " + header.length + " bytes");
  }

  @Test
  void headerLengthLargerThanTheFileEvenAsUnsigned() throws IOException {
    Path file = RawFiles.write(dir.resolve("huge.safetensors"), -1L, new byte[0], new byte[16]);
    assertMentions(
        openFails(file), "huge.safetensors", "header length 18446744073709551615", "larger than");
  }

  @Test
  void headerLengthOverOneHundredMebibytes() throws IOException {
    // A sparse file, long enough to hold the declared header, so only the 100 MiB rule is broken.
    long declared = (100L << 20) + 8;
    Path file = dir.resolve("fat.safetensors");
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.SPARSE)) {
      channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, declared), 0);
      channel.write(ByteBuffer.wrap(new byte[] {' '}), 8 + declared);
    }
    assertMentions(
        openFails(file), "fat.safetensors", "header length " + declared, "100 MiB limit");
  }

  @Test
  void headerThatIsNotJson() throws IOException {
    Path file = withHeader("text.safetensors", "{\"a\": nonsense}", 0);
    assertMentions(openFails(file), "text.safetensors", "not valid JSON");
  }

  @Test
  void headerThatIsNotUtf8() throws IOException {
    byte[] header = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
    Path file =
        RawFiles.write(dir.resolve("latin.safetensors"), header.length, header, new byte[0]);
    assertMentions(openFails(file), "latin.safetensors", "not valid UTF-8");
  }

  @Test
  void headerThatIsJsonButNotAnObject() throws IOException {
    Path file = withHeader("array.safetensors", "[1, 2, 3]", 0);
    assertMentions(openFails(file), "array.safetensors", "not a JSON object");
  }

  @Test
  void headerWithContentAfterItsObject() throws IOException {
    Path file = withHeader("trailing.safetensors", "{} {}", 0);
    assertMentions(openFails(file), "trailing.safetensors", "content after its JSON object");
  }

  @Test
  void tensorEntryMissingAField() throws IOException {
    Path file = withHeader("partial.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    assertMentions(
        openFails(file), "partial.safetensors", "tensor \"w\"", "no \"data_offsets\" field");
  }

  @Test
  void unknownDtype() throws IOException {
    Path file = withHeader("f8.safetensors", "{" + tensor("w", "F8_E4M3", "[4]", 0, 4) + "}", 4);
    assertMentions(
        openFails(file), "f8.safetensors", "tensor \"w\"", "unknown dtype \"F8_E4M3\"", "BF16");
  }

  @Test
  void negativeDimension() throws IOException {
    Path file = withHeader("neg.safetensors", "{" + tensor("w", "F32", "[2,-1]", 0, 0) + "}", 0);
    assertMentions(openFails(file), "neg.safetensors", "tensor \"w\"", "negative dimension -1");
  }

  @Test
  void shapeWhoseElementCountOverflows() throws IOException {
    Path file =
        withHeader(
            "over.safetensors", "{" + tensor("w", "U8", "[4294967296,4294967296]", 0, 0) + "}", 0);
    assertMentions(openFails(file), "over.safetensors", "tensor \"w\"", "element count overflows");
  }

  @Test
  void shapeWhoseByteSizeOverflows() throws IOException {
    Path file =
        withHeader(
            "overbytes.safetensors",
            "{" + tensor("w", "F64", "[4611686018427387904]", 0, 0) + "}",
            0);
    assertMentions(openFails(file), "overbytes.safetensors", "tensor \"w\"", "byte size overflows");
  }

  @Test
  void dimensionTooLargeForALong() throws IOException {
    Path file =
        withHeader(
            "bigdim.safetensors", "{" + tensor("w", "U8", "[99999999999999999999]", 0, 0) + "}", 0);
    assertMentions(
        openFails(file), "bigdim.safetensors", "tensor \"w\"", "does not fit a 64-bit integer");
  }

  @Test
  void reversedDataOffsets() throws IOException {
    Path file = withHeader("rev.safetensors", "{" + tensor("w", "F32", "[1]", 8, 4) + "}", 8);
    assertMentions(
        openFails(file), "rev.safetensors", "tensor \"w\"", "reversed data_offsets [8, 4]");
  }

  @Test
  void dataOffsetsOutsideTheDataArea() throws IOException {
    Path file = withHeader("out.safetensors", "{" + tensor("w", "F32", "[2]", 0, 8) + "}", 6);
    assertMentions(
        openFails(file), "out.safetensors", "tensor \"w\"", "outside the data area of 6 bytes");
  }

  @Test
  void overlappingTensors() throws IOException {
    Path file =
        withHeader(
            "overlap.safetensors",
            "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 4, 12) + "}",
            12);
    assertMentions(openFails(file), "overlap.safetensors", "tensor \"b\"", "overlaps tensor \"a\"");
  }

  @Test
  void dataOffsetsThatDisagreeWithShapeTimesDtypeSize() throws IOException {
    Path file = withHeader("size.safetensors", "{" + tensor("w", "BF16", "[3]", 0, 8) + "}", 8);
    assertMentions(
        openFails(file), "size.safetensors", "tensor \"w\"", "spanning 8 bytes", "needs 6 bytes");
  }

  @Test
  void duplicateTensorNames() throws IOException {
    Path file =
        withHeader(
            "dup.safetensors",
            "{" + tensor("w", "F32", "[1]", 0, 4) + "," + tensor("w", "F32", "[1]", 4, 8) + "}",
            8);
    assertMentions(openFails(file), "dup.safetensors", "tensor \"w\"", "appears twice");
  }

  @Test
  void duplicateFieldInsideATensorEntry() throws IOException {
    Path file =
        withHeader(
            "dupfield.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    assertMentions(openFails(file), "dupfield.safetensors", "tensor \"w\"", "two \"dtype\" fields");
  }

  @Test
  void metadataThatIsNotStringToString() throws IOException {
    Path file = withHeader("meta.safetensors", "{\"__metadata__\":{\"step\":3}}", 0);
    assertMentions(openFails(file), "meta.safetensors", "\"step\"", "not a string");
  }
}
