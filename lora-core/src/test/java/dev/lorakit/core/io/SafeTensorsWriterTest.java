package dev.lorakit.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.testkit.Fixtures;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafeTensorsWriterTest {
  @TempDir Path dir;

  private static float[] randomFloats(long seed, int n) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian() * 3;
    }
    return out;
  }

  @Test
  void roundTripOfEveryDtypeWithPeftCompatibleLayout() throws IOException {
    float[] weights = randomFloats(1, 6 * 5);
    byte[] raw = new byte[7 * 8];
    new Random(2).nextBytes(raw);
    SafeTensorsWriter writer =
        SafeTensorsWriter.create().metadata("format", "pt").metadata("step", "12");
    writer.addFloats("w.f32", new long[] {6, 5}, weights, SafeTensorsDtype.F32);
    writer.addFloats("w.bf16", new long[] {5, 6}, weights, SafeTensorsDtype.BF16);
    writer.addFloats("w.f16", new long[] {30}, weights, SafeTensorsDtype.F16);
    writer.add("ids", SafeTensorsDtype.I64, new long[] {7}, MemorySegment.ofArray(raw));
    writer.add(
        "flags",
        SafeTensorsDtype.BOOL,
        new long[] {3},
        MemorySegment.ofArray(new byte[] {1, 0, 1}));
    writer.add("scalar", SafeTensorsDtype.F64, new long[0], MemorySegment.ofArray(new byte[8]));
    writer.add(
        "empty", SafeTensorsDtype.I16, new long[] {0, 4}, MemorySegment.ofArray(new byte[0]));
    for (SafeTensorsDtype dtype :
        List.of(SafeTensorsDtype.U8, SafeTensorsDtype.I8, SafeTensorsDtype.I32)) {
      writer.add(
          "one." + dtype, dtype, new long[] {1}, MemorySegment.ofArray(new byte[dtype.byteSize()]));
    }
    Path path = dir.resolve("out.safetensors");
    writer.write(path);

    byte[] file = Files.readAllBytes(path);
    long headerLength = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, headerLength % 8, "header padded to a multiple of 8");
    String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"step\":\"12\"},"), header);
    assertTrue(
        header.stripTrailing().endsWith("}")
            && header.substring(header.stripTrailing().length()).isBlank());

    try (SafeTensorsFile read = SafeTensorsFile.open(path)) {
      assertEquals(Map.of("format", "pt", "step", "12"), read.metadata());
      // Sorted widest dtype first (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then by name.
      assertEquals(
          List.of(
              "ids", "scalar", "w.f32", "one.I32", "w.bf16", "w.f16", "empty", "one.I8", "one.U8",
              "flags"),
          List.copyOf(read.names()));
      long expectedBegin = 0;
      for (String name : read.names()) {
        TensorInfo info = read.info(name);
        assertEquals(expectedBegin, info.begin(), "contiguous data_offsets at " + name);
        expectedBegin = info.end();
      }
      assertEquals(read.dataAreaSize(), expectedBegin, "no bytes after the last tensor");

      assertArrayEquals(weights, read.floats("w.f32"));
      assertArrayEquals(new long[] {5, 6}, read.info("w.bf16").shape());
      float[] bf16 = read.floats("w.bf16");
      float[] f16 = read.floats("w.f16");
      for (int i = 0; i < weights.length; i++) {
        assertEquals(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(weights[i])), bf16[i]);
        assertEquals(HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(weights[i])), f16[i]);
      }
      assertArrayEquals(raw, read.segment("ids").toArray(ValueLayout.JAVA_BYTE));
      assertArrayEquals(new long[] {1, 0, 1}, read.longs("flags"));
      assertEquals(0, read.info("scalar").rank());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-llama-gqa"})
  void rewritingAPeftAdapterReproducesItByteForByte(String model) throws IOException {
    Path original = Fixtures.hf(model + "/adapter_init/adapter_model.safetensors");
    assertRewriteIsIdentical(original);
  }

  /**
   * The reference file mixes I64 and F32, so it checks the dtype ordering against the reference
   * writer.
   */
  @Test
  void rewritingAMixedDtypeReferenceFileReproducesItByteForByte() throws IOException {
    assertRewriteIsIdentical(Fixtures.hf("tiny-llama/reference.safetensors"));
  }

  private void assertRewriteIsIdentical(Path original) throws IOException {
    Path copy = dir.resolve("copy.safetensors");
    try (SafeTensorsFile in = SafeTensorsFile.open(original)) {
      SafeTensorsWriter writer = SafeTensorsWriter.create();
      in.metadata().forEach(writer::metadata);
      // Added in reverse so the writer's own ordering is what is tested.
      for (String name : List.copyOf(in.names()).reversed()) {
        TensorInfo info = in.info(name);
        writer.add(name, info.dtype(), info.shape(), in.segment(name));
      }
      writer.write(copy);
    }
    assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
  }

  @Test
  void writingReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
    Path path = dir.resolve("a.safetensors");
    Files.writeString(path, "old");
    SafeTensorsWriter.create()
        .addFloats("x", new long[] {2}, new float[] {1, 2}, SafeTensorsDtype.F32)
        .write(path);
    try (SafeTensorsFile read = SafeTensorsFile.open(path)) {
      assertArrayEquals(new float[] {1, 2}, read.floats("x"));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(path), files.toList());
    }
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path path = dir.resolve("keep.safetensors");
    Files.writeString(path, "previous contents");
    MemorySegment gone;
    try (Arena arena = Arena.ofConfined()) {
      gone = arena.allocate(8);
    }
    SafeTensorsWriter writer =
        SafeTensorsWriter.create()
            .addFloats("first", new long[] {1}, new float[] {1}, SafeTensorsDtype.F32)
            .add("freed", SafeTensorsDtype.F64, new long[] {1}, gone);
    assertThrows(IllegalStateException.class, () -> writer.write(path));
    assertEquals("previous contents", Files.readString(path));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(path), files.toList(), "the temporary file is removed");
    }
  }

  @Test
  void writingOverAFolderFailsAndLeavesNothing() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("adapter_model.safetensors"));
    SafeTensorsWriter writer =
        SafeTensorsWriter.create()
            .addFloats("x", new long[] {1}, new float[] {1}, SafeTensorsDtype.F32);
    IOException e = assertThrows(IOException.class, () -> writer.write(folder));
    assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(folder), files.toList());
    }
  }

  @Test
  void badTensorsAreRefusedWhenAdded() {
    SafeTensorsWriter writer =
        SafeTensorsWriter.create()
            .addFloats("x", new long[] {1}, new float[] {1}, SafeTensorsDtype.F32);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> writer.addFloats("x", new long[] {1}, new float[] {1}, SafeTensorsDtype.F32));
    assertTrue(e.getMessage().contains("\"x\" was already added"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> writer.addFloats("y", new long[] {2, 2}, new float[3], SafeTensorsDtype.BF16));
    assertTrue(
        e.getMessage().contains("\"y\"") && e.getMessage().contains("4 elements"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> writer.addFloats("z", new long[] {1}, new float[1], SafeTensorsDtype.I32));
    assertTrue(e.getMessage().contains("I32"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                writer.add(
                    "b", SafeTensorsDtype.F32, new long[] {3}, MemorySegment.ofArray(new byte[8])));
    assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                writer.add(
                    "n", SafeTensorsDtype.U8, new long[] {-1}, MemorySegment.ofArray(new byte[0])));
    assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> writer.addFloats("__metadata__", new long[] {1}, new float[1], SafeTensorsDtype.F32));
  }

  @Test
  void namesWithQuotesAndControlCharactersSurviveTheHeader() throws IOException {
    String odd = "layer \"0\"\\\n\t\u0001é";
    Path path = dir.resolve("odd.safetensors");
    SafeTensorsWriter.create()
        .metadata("k\"", "v\n")
        .addFloats(odd, new long[] {1}, new float[] {5}, SafeTensorsDtype.F32)
        .write(path);
    try (SafeTensorsFile read = SafeTensorsFile.open(path)) {
      assertEquals(List.of(odd), List.copyOf(read.names()));
      assertEquals(Map.of("k\"", "v\n"), read.metadata());
      assertArrayEquals(new float[] {5}, read.floats(odd));
    }
  }
}
