package dev.lorakit.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Opens the tensors of a model, whichever way they are stored. */
public final class SafeTensors {
  /** The index file of a sharded Hugging Face checkpoint. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  /** The single file of an unsharded Hugging Face checkpoint. */
  public static final String SINGLE_FILE = "model.safetensors";

  private SafeTensors() {}

  /**
   * Opens a safetensors file, a sharded checkpoint's {@code *.json} index, or a model folder. In a
   * folder: {@value #INDEX_FILE} if present, else {@value #SINGLE_FILE}, else its only {@code
   * *.safetensors} file.
   *
   * @throws IOException naming the path when there is nothing to open, or which of several files is
   *     meant is unclear
   */
  public static TensorSource open(Path fileOrModelFolder) throws IOException {
    if (Files.isDirectory(fileOrModelFolder)) {
      Path index = fileOrModelFolder.resolve(INDEX_FILE);
      if (Files.isRegularFile(index)) {
        return ShardedSafeTensors.open(index);
      }
      Path single = fileOrModelFolder.resolve(SINGLE_FILE);
      if (Files.isRegularFile(single)) {
        return SafeTensorsFile.open(single);
      }
      List<Path> candidates;
      try (Stream<Path> files = Files.list(fileOrModelFolder)) {
        candidates =
            files
                .filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                .filter(Files::isRegularFile)
                .sorted()
                .toList();
      }
      if (candidates.size() == 1) {
        return SafeTensorsFile.open(candidates.getFirst());
      }
      if (candidates.isEmpty()) {
        throw new IOException(
            fileOrModelFolder
                + " holds no "
                + INDEX_FILE
                + ", no "
                + SINGLE_FILE
                + " and no other .safetensors file.");
      }
      throw new IOException(
          fileOrModelFolder
              + " holds several .safetensors files ("
              + candidates.stream().map(p -> p.getFileName().toString()).toList()
              + ") and no "
              + INDEX_FILE
              + " saying how they fit together; name the file to open.");
    }
    if (!Files.exists(fileOrModelFolder)) {
      throw new NoSuchFileException(fileOrModelFolder.toString(), null, "no such file or folder");
    }
    if (fileOrModelFolder.getFileName().toString().endsWith(".json")) {
      return ShardedSafeTensors.open(fileOrModelFolder);
    }
    return SafeTensorsFile.open(fileOrModelFolder);
  }
}
