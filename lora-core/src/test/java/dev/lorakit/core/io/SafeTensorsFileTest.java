package dev.lorakit.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsFileTest {
  @TempDir Path dir;

  /** One tensor of each dtype, data written by hand in little-endian order. */
  private Path allDtypes() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.putDouble(0, -1.5); // f64  [0, 8)
    data.putFloat(8, 3.25f).putFloat(12, -0.0f); // f32  [8, 16)
    data.putShort(16, (short) 0x3C00).putShort(18, (short) 0xC000); // f16 1.0, -2.0 [16, 20)
    data.putShort(20, (short) 0x3F80).putShort(22, (short) 0x4049); // bf16 1.0, 3.140625 [20, 24)
    data.putLong(24, -7_000_000_000L); // i64  [24, 32)
    data.putInt(32, -123456); // i32  [32, 36)
    data.putShort(36, (short) -300); // i16  [36, 38)
    data.put(38, (byte) -5); // i8   [38, 39)
    data.put(39, (byte) 250); // u8   [39, 40)
    data.put(40, (byte) 1).put(41, (byte) 0); // bool [40, 42)
    String header =
        """
                {"__metadata__":{"format":"pt","note":"hand made"},
                 "f64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},
                 "f32":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},
                 "f16":{"dtype":"F16","shape":[1,2],"data_offsets":[16,20]},
                 "bf16":{"dtype":"BF16","shape":[2,1],"data_offsets":[20,24]},
                 "i64":{"dtype":"I64","shape":[],"data_offsets":[24,32]},
                 "i32":{"dtype":"I32","shape":[1],"data_offsets":[32,36]},
                 "i16":{"dtype":"I16","shape":[1],"data_offsets":[36,38]},
                 "i8":{"dtype":"I8","shape":[1],"data_offsets":[38,39]},
                 "u8":{"dtype":"U8","shape":[1],"data_offsets":[39,40]},
                 "bool":{"dtype":"BOOL","shape":[2],"data_offsets":[40,42]},
                 "empty":{"dtype":"F32","shape":[0,3],"data_offsets":[42,42]}}""";
    return RawFiles.write(dir.resolve("all.safetensors"), header, data.array());
  }

  @Test
  void readsEveryDtype() throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(allDtypes())) {
      assertEquals(
          List.of("f64", "f32", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool", "empty"),
          List.copyOf(file.names()),
          "names keep the header's order");
      assertEquals(Map.of("format", "pt", "note", "hand made"), file.metadata());
      assertArrayEquals(new float[] {-1.5f}, file.floats("f64"));
      assertArrayEquals(new float[] {3.25f, -0.0f}, file.floats("f32"));
      assertArrayEquals(new float[] {1.0f, -2.0f}, file.floats("f16"));
      assertArrayEquals(new float[] {1.0f, 3.140625f}, file.floats("bf16"));
      assertArrayEquals(new long[] {-7_000_000_000L}, file.longs("i64"));
      assertArrayEquals(new long[] {-123456}, file.longs("i32"));
      assertArrayEquals(new long[] {-300}, file.longs("i16"));
      assertArrayEquals(new long[] {-5}, file.longs("i8"));
      assertArrayEquals(new long[] {250}, file.longs("u8"));
      assertArrayEquals(new long[] {1, 0}, file.longs("bool"));
      assertArrayEquals(new float[0], file.floats("empty"));

      TensorInfo bf16 = file.info("bf16");
      assertEquals(SafeTensorsDtype.BF16, bf16.dtype());
      assertArrayEquals(new long[] {2, 1}, bf16.shape());
      assertEquals(2, bf16.elementCount());
      assertEquals(4, bf16.byteSize());
      assertEquals(1, file.info("i64").elementCount(), "a scalar has one element");
      for (String name : file.names()) {
        assertEquals(file.info(name).byteSize(), file.segment(name).byteSize(), name);
      }
      assertTrue(file.contains("u8"));
      assertFalse(file.contains("nope"));
    }
  }

  @Test
  void floatsRefusesIntegerTensorsAndLongsRefusesFloatTensors() throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(allDtypes())) {
      SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> file.floats("i32"));
      assertTrue(
          e.getMessage().contains("\"i32\"")
              && e.getMessage().contains("I32")
              && e.getMessage().contains("all.safetensors"),
          e.getMessage());
      e = assertThrows(SafeTensorsException.class, () -> file.longs("bf16"));
      assertTrue(e.getMessage().contains("\"bf16\""), e.getMessage());
    }
  }

  @Test
  void unknownTensorNameIsNamedInTheMessage() throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(allDtypes())) {
      SafeTensorsException e =
          assertThrows(SafeTensorsException.class, () -> file.info("lm_head.weight"));
      assertTrue(
          e.getMessage().contains("lm_head.weight") && e.getMessage().contains("all.safetensors"),
          e.getMessage());
      assertThrows(SafeTensorsException.class, () -> file.segment("lm_head.weight"));
    }
  }

  @Test
  void segmentsAreReadOnlyViewsOfTheMappedFileNotCopies() throws IOException {
    Path path = allDtypes();
    try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
      MemorySegment f32 = file.segment("f32");
      assertTrue(f32.isReadOnly());
      assertTrue(f32.isMapped());
      assertThrows(
          IllegalArgumentException.class, () -> f32.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));

      // Change the bytes on disk after opening: a view of the mapping sees the change, a copy would
      // not.
      long dataStart = Files.size(path) - 64;
      try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
        channel.write(ByteBuffer.wrap(RawFiles.littleEndianFloats(42.0f)), dataStart + 8);
      }
      assertEquals(42.0f, file.floats("f32")[0]);
    }
  }

  @Test
  void closingUnmapsTheFile() throws IOException {
    MemorySegment segment;
    try (SafeTensorsFile file = SafeTensorsFile.open(allDtypes())) {
      segment = file.segment("f32");
      assertEquals(3.25f, segment.get(Widening.F32, 0));
    }
    assertThrows(IllegalStateException.class, () -> segment.get(Widening.F32, 0));
  }

  @Test
  void headerMayBePaddedWithSpacesAndUnknownFieldsAreTolerated() throws IOException {
    String header =
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":{\"x\":[1]}}}   ";
    Path path =
        RawFiles.write(dir.resolve("padded.safetensors"), header, RawFiles.littleEndianFloats(7f));
    try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
      assertArrayEquals(new float[] {7f}, file.floats("t"));
      assertTrue(file.metadata().isEmpty());
    }
  }

  /**
   * A file over 2 GiB with a tensor that starts past 2^31: the data area is a hole in a sparse
   * file, so the test costs no disk and almost no time, but every offset is computed in 64 bits.
   */
  @Test
  void readsTensorsPastTwoGibibytesInASparseFile() throws IOException {
    long fillerBytes = (5L << 29) - 16; // just under 2.5 GiB of zeros
    long farBegin = fillerBytes;
    String header =
        "{\"filler\":{\"dtype\":\"U8\",\"shape\":["
            + fillerBytes
            + "],\"data_offsets\":[0,"
            + fillerBytes
            + "]},\"far\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":["
            + farBegin
            + ","
            + (farBegin + 16)
            + "]}}";
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    Path path = dir.resolve("big.safetensors");
    long dataStart = 8 + headerBytes.length;
    try (FileChannel channel =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.SPARSE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + headerBytes.length).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(headerBytes.length).put(headerBytes).flip();
      channel.write(head, 0);
      channel.write(
          ByteBuffer.wrap(RawFiles.littleEndianFloats(1.5f, -2f, 1e30f, Float.MIN_VALUE)),
          dataStart + farBegin);
    }
    assertTrue(Files.size(path) > (1L << 31) + (1L << 29), "the file is over 2.5 GiB");

    try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
      TensorInfo far = file.info("far");
      assertTrue(far.begin() > 1L << 31);
      assertArrayEquals(new float[] {1.5f, -2f, 1e30f, Float.MIN_VALUE}, file.floats("far"));
      MemorySegment filler = file.segment("filler");
      assertEquals(fillerBytes, filler.byteSize());
      assertEquals(0, filler.get(ValueLayout.JAVA_BYTE, fillerBytes - 1));
      assertEquals(0, filler.get(ValueLayout.JAVA_BYTE, 1L << 31));
      SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> file.longs("filler"));
      assertTrue(e.getMessage().contains("segment()"), e.getMessage());
    }
  }
}
