package dev.lorakit.core.io;

import dev.lorakit.core.tensor.HalfPrecision;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a safetensors file the way PEFT and transformers write one, so that they load ours and a
 * file they wrote, read and written again here, comes out byte for byte the same:
 *
 * <ul>
 *   <li>an 8-byte little-endian header length, then compact JSON with {@code __metadata__} (if any)
 *       first;
 *   <li>tensors sorted by dtype (widest first, the reference implementation's order) and then by
 *       name, with contiguous {@code data_offsets} from 0;
 *   <li>the header padded with spaces to a multiple of 8 bytes, so every tensor's data starts
 *       8-aligned.
 * </ul>
 *
 * {@link #write(Path)} is atomic: the file appears complete or not at all.
 *
 * <p>Tensor bytes are read when the file is written, not when they are added: segments and arrays
 * handed to {@code add} must stay valid and unchanged until then.
 */
public final class SafeTensorsWriter {
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final Map<String, Entry> tensors = new LinkedHashMap<>();

  private SafeTensorsWriter() {}

  /** A writer with no tensors and no metadata. */
  public static SafeTensorsWriter create() {
    return new SafeTensorsWriter();
  }

  /** Adds a {@code __metadata__} entry (PEFT and transformers write {@code "format": "pt"}). */
  public SafeTensorsWriter metadata(String key, String value) {
    metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Adds a tensor whose little-endian bytes are {@code bytes}.
   *
   * @throws IllegalArgumentException when the name is taken or reserved, a dimension is negative,
   *     or the byte count is not the shape's element count times the dtype's size
   */
  public SafeTensorsWriter add(
      String name, SafeTensorsDtype dtype, long[] shape, MemorySegment bytes) {
    long expected = checkNew(name, shape) * dtype.byteSize();
    if (bytes.byteSize() != expected) {
      throw new IllegalArgumentException(
          "Tensor \""
              + name
              + "\" of shape "
              + Arrays.toString(shape)
              + " and dtype "
              + dtype
              + " needs "
              + expected
              + " bytes, but "
              + bytes.byteSize()
              + " were given.");
    }
    tensors.put(name, new Entry(name, dtype, shape.clone(), bytes, null));
    return this;
  }

  /**
   * Adds a tensor given as floats, stored as F32, F16 or BF16 (narrowing rounds to nearest even).
   *
   * @throws IllegalArgumentException when the name is taken or reserved, the data length does not
   *     match the shape, or {@code storeAs} is not F32, F16 or BF16
   */
  public SafeTensorsWriter addFloats(
      String name, long[] shape, float[] data, SafeTensorsDtype storeAs) {
    if (storeAs != SafeTensorsDtype.F32
        && storeAs != SafeTensorsDtype.F16
        && storeAs != SafeTensorsDtype.BF16) {
      throw new IllegalArgumentException(
          "Tensor \""
              + name
              + "\" cannot be stored as "
              + storeAs
              + " from floats; use F32, F16 or BF16.");
    }
    long count = checkNew(name, shape);
    if (count != data.length) {
      throw new IllegalArgumentException(
          "Tensor \""
              + name
              + "\" of shape "
              + Arrays.toString(shape)
              + " has "
              + count
              + " elements, but "
              + data.length
              + " floats were given.");
    }
    tensors.put(name, new Entry(name, storeAs, shape.clone(), null, data));
    return this;
  }

  private long checkNew(String name, long[] shape) {
    Objects.requireNonNull(name, "name");
    if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
      throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor.");
    }
    if (tensors.containsKey(name)) {
      throw new IllegalArgumentException("Tensor \"" + name + "\" was already added.");
    }
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "Tensor \""
                + name
                + "\" has negative dimension "
                + d
                + " in shape "
                + Arrays.toString(shape)
                + ".");
      }
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  /**
   * Writes the file atomically: to a temporary file in the same folder, synced, then renamed over
   * {@code file}.
   */
  public void write(Path file) throws IOException {
    try (AtomicFile out = AtomicFile.create(file)) {
      write(out.channel());
      out.commit();
    }
  }

  /**
   * Writes the whole file to {@code channel}, for callers that manage their own atomicity ({@link
   * AtomicFile}).
   */
  public void write(WritableByteChannel channel) throws IOException {
    List<Entry> ordered = ordered();
    byte[] header = header(ordered);
    ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
    prefix.putLong(header.length).put(header).flip();
    writeFully(channel, prefix);
    for (Entry entry : ordered) {
      entry.writeTo(channel);
    }
  }

  /**
   * Widest dtype first, then by name in UTF-8 byte order, as the safetensors reference writer
   * sorts.
   */
  private List<Entry> ordered() {
    List<Entry> ordered = new ArrayList<>(tensors.values());
    ordered.sort(
        Comparator.comparing((Entry e) -> e.dtype, Comparator.reverseOrder())
            .thenComparing((a, b) -> Arrays.compareUnsigned(a.utf8Name(), b.utf8Name())));
    return ordered;
  }

  /** The JSON header, padded with spaces to a multiple of 8 bytes. */
  byte[] header(List<Entry> ordered) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      json.append(quote(SafeTensorsHeader.METADATA_KEY)).append(":{");
      String separator = "";
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        json.append(separator).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
        separator = ",";
      }
      json.append('}');
    }
    long offset = 0;
    for (Entry entry : ordered) {
      if (json.length() > 1) {
        json.append(',');
      }
      long size = entry.byteSize();
      json.append(quote(entry.name))
          .append(":{\"dtype\":\"")
          .append(entry.dtype.name())
          .append("\",\"shape\":[");
      for (int i = 0; i < entry.shape.length; i++) {
        json.append(i == 0 ? "" : ",").append(entry.shape[i]);
      }
      json.append("],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + size)
          .append("]}");
      offset += size;
    }
    json.append('}');
    byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (bytes.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(bytes, padded);
    Arrays.fill(out, bytes.length, padded, (byte) ' ');
    return out;
  }

  /**
   * A JSON string literal, escaped as serde_json escapes it (the reference writer's JSON library).
   */
  private static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private static void writeFully(WritableByteChannel channel, ByteBuffer buffer)
      throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** One tensor to write: raw bytes, or floats narrowed while writing. */
  private record Entry(
      String name, SafeTensorsDtype dtype, long[] shape, MemorySegment bytes, float[] floats) {
    // Large tensors go out in slices: a ByteBuffer view is limited to 2 GiB.
    private static final long SLICE = 1L << 26;

    byte[] utf8Name() {
      return name.getBytes(StandardCharsets.UTF_8);
    }

    long byteSize() {
      return bytes != null ? bytes.byteSize() : (long) floats.length * dtype.byteSize();
    }

    void writeTo(WritableByteChannel channel) throws IOException {
      if (bytes != null) {
        for (long at = 0; at < bytes.byteSize(); at += SLICE) {
          writeFully(
              channel, bytes.asSlice(at, Math.min(SLICE, bytes.byteSize() - at)).asByteBuffer());
        }
        return;
      }
      int chunk = 1 << 16;
      ByteBuffer buffer =
          ByteBuffer.allocate(chunk * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < floats.length; start += chunk) {
        buffer.clear();
        int end = Math.min(floats.length, start + chunk);
        for (int i = start; i < end; i++) {
          switch (dtype) {
            case F32 -> buffer.putFloat(floats[i]);
            case BF16 -> buffer.putShort(HalfPrecision.floatToBf16(floats[i]));
            case F16 -> buffer.putShort(HalfPrecision.floatToF16(floats[i]));
            default -> throw new IllegalStateException("floats stored as " + dtype);
          }
        }
        buffer.flip();
        writeFully(channel, buffer);
      }
    }
  }
}
