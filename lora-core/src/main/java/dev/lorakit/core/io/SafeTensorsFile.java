package dev.lorakit.core.io;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, memory-mapped. Opening reads and checks the header only; the data area is
 * mapped, not read, so a 15 GB shard costs no heap and tensors come out as zero-copy slices of the
 * mapping.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length N, N bytes of JSON header, then the
 * data area that the header's {@code data_offsets} index into.
 *
 * <p>The mapping belongs to a shared arena, so any thread may read segments and close the file;
 * reading a segment after {@link #close()} throws {@link IllegalStateException}.
 */
public final class SafeTensorsFile implements TensorSource {
  private final Path path;
  private final SafeTensorsHeader header;
  private final Arena arena;
  private final MemorySegment dataArea;

  private SafeTensorsFile(
      Path path, SafeTensorsHeader header, Arena arena, MemorySegment dataArea) {
    this.path = path;
    this.header = header;
    this.arena = arena;
    this.dataArea = dataArea;
  }

  /**
   * Opens and checks a safetensors file.
   *
   * @throws SafeTensorsException when the file breaks a rule of the format (the message names the
   *     file, the tensor and the rule)
   * @throws IOException when the file cannot be read
   */
  public static SafeTensorsFile open(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 8) {
        throw new SafeTensorsException(
            file
                + " is truncated: it has "
                + size
                + " bytes, fewer than the 8-byte header length every safetensors file starts with.");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.getLong(0); // unsigned on disk: negative here means >= 2^63
      if (Long.compareUnsigned(headerLength, size - 8) > 0) {
        throw new SafeTensorsException(
            file
                + " is truncated or not a safetensors file: its header length "
                + Long.toUnsignedString(headerLength)
                + " is larger than the "
                + (size - 8)
                + " bytes that follow it.");
      }
      if (headerLength > SafeTensorsHeader.MAX_HEADER_BYTES) {
        throw new SafeTensorsException(
            file
                + ": header length "
                + headerLength
                + " exceeds the 100 MiB limit of the safetensors format.");
      }
      ByteBuffer json = ByteBuffer.allocate((int) headerLength);
      readFully(channel, json, 8);
      long dataStart = 8 + headerLength;
      SafeTensorsHeader header =
          SafeTensorsHeader.parse(file.toString(), json.array(), size - dataStart);
      Arena arena = Arena.ofShared();
      try {
        MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        return new SafeTensorsFile(file, header, arena, mapping.asSlice(dataStart).asReadOnly());
      } catch (IOException | RuntimeException e) {
        arena.close();
        throw e;
      }
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new EOFException("unexpected end of file");
      }
    }
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public Set<String> names() {
    return header.tensors().keySet();
  }

  @Override
  public boolean contains(String name) {
    return header.tensors().containsKey(name);
  }

  @Override
  public TensorInfo info(String name) throws SafeTensorsException {
    TensorInfo info = header.tensors().get(name);
    if (info == null) {
      throw new SafeTensorsException(path + " has no tensor named \"" + name + "\".");
    }
    return info;
  }

  @Override
  public MemorySegment segment(String name) throws SafeTensorsException {
    TensorInfo info = info(name);
    return dataArea.asSlice(info.begin(), info.end() - info.begin());
  }

  @Override
  public Map<String, String> metadata() {
    return header.metadata();
  }

  /** The size of the data area after the header, in bytes. */
  public long dataAreaSize() {
    return dataArea.byteSize();
  }

  @Override
  public void close() {
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "SafeTensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
  }
}
