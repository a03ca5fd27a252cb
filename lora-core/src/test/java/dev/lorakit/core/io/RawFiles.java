package dev.lorakit.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes safetensors files byte by byte, so reader tests do not depend on the writer. */
final class RawFiles {
  private RawFiles() {}

  /** Writes the 8-byte length, the header JSON as given, and the data area. */
  static Path write(Path file, String headerJson, byte[] data) throws IOException {
    byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
    return write(file, header.length, header, data);
  }

  /** Writes a declared header length that may differ from the header bytes that follow it. */
  static Path write(Path file, long declaredHeaderLength, byte[] header, byte[] data)
      throws IOException {
    ByteBuffer buffer =
        ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putLong(declaredHeaderLength).put(header).put(data).flip();
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
    return file;
  }

  static byte[] littleEndianFloats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }
}
