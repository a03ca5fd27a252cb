package dev.lorakit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorakit merge}: folds an adapter into the base weights and writes a plain model folder. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Folds a LoRA adapter into the base model's weights (W + scale * B A for every adapted projection) and "
            + "writes a model folder that transformers and lorakit load without the adapter.",
        "The weights are sharded as the input's are: one model.safetensors, or the same shards with the same "
            + "model.safetensors.index.json; each tensor keeps its dtype. config.json and the tokenizer files are "
            + "copied. The files are written aside and renamed into place only when all are complete; other files in the folder are left alone."})
final class MergeCommand implements Callable<Integer> {

  /** Files copied unchanged when present. */
  static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
      "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json");

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The base model folder.")
  Path model;

  @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The PEFT adapter folder.")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "The merged model folder to write: a new or empty folder, or an earlier merge's output.")
  Path out;

  @Option(names = "--overwrite",
      description = "Write into an --out that holds files lorakit did not write; only the merge's own files there are "
          + "replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    Cli.requireFolder(model, "--model");
    Cli.requireFolder(adapter, "--adapter");
    if (Files.isDirectory(out) && (Files.isSameFile(out, model) || Files.isSameFile(out, adapter))) {
      throw new LorakitInputException("--out must not be the model or adapter folder itself.");
    }
    long start = System.nanoTime();
    DecoderConfig dc;
    try (ModelFolder folder = ModelFolder.open(model)) {
      dc = folder.decoderConfig();
    }
    int merged;
    try (OutputFolder folder = OutputFolder.claim(out, "--out", "merge", overwrite);
        Backend backend = new CpuBackend();
        LoraWeights lora = LoraWeights.read(adapter, dc, backend)) {
      long bytes = 0;
      for (String shard : shards(model)) bytes += Files.size(model.resolve(shard));
      folder.requireFreeSpace(bytes, "the merged weights");
      // The weights are written aside and renamed into place only when all are complete.
      Path temp = folder.newTemporaryFolder("merge");
      Map<String, LoraWeights.Pair> adapted = new HashMap<>();
      for (LoraWeights.Pair p : lora.pairs()) {
        adapted.put("model.layers." + p.layer() + "." + p.target().modulePath() + ".weight", p);
      }
      for (String shard : shards(model)) {
        writeShard(model.resolve(shard), temp.resolve(shard), adapted, backend);
      }
      merged = adapted.size();
      if (Files.exists(model.resolve(SafeTensors.INDEX_FILE))) {
        Files.copy(model.resolve(SafeTensors.INDEX_FILE), temp.resolve(SafeTensors.INDEX_FILE));
      }
      for (String name : COPIED) {
        if (Files.isRegularFile(model.resolve(name))) Files.copy(model.resolve(name), temp.resolve(name));
      }
      folder.adopt(temp);
    }
    o.printf("Merged %d adapted projections into %s in %.1f s.%n", merged, out, (System.nanoTime() - start) / 1e9);
    o.flush();
    return 0;
  }

  /** The weight files of {@code dir}: the index's shards in order of first mention, or model.safetensors. */
  static List<String> shards(Path dir) throws IOException {
    Path index = dir.resolve(SafeTensors.INDEX_FILE);
    if (!Files.exists(index)) {
      if (!Files.isRegularFile(dir.resolve(SafeTensors.SINGLE_FILE))) {
        throw new LorakitInputException(dir + " has neither " + SafeTensors.SINGLE_FILE + " nor "
            + SafeTensors.INDEX_FILE + ".");
      }
      return List.of(SafeTensors.SINGLE_FILE);
    }
    JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
    if (!map.isObject()) throw new LorakitInputException(index + " has no \"weight_map\" object.");
    LinkedHashSet<String> files = new LinkedHashSet<>();
    map.properties().forEach(e -> files.add(e.getValue().asText()));
    return new ArrayList<>(files);
  }

  private static void writeShard(Path in, Path outFile, Map<String, LoraWeights.Pair> adapted,
      Backend backend) throws IOException {
    try (SafeTensorsFile src = SafeTensorsFile.open(in)) {
      SafeTensorsWriter w = SafeTensorsWriter.create();
      src.metadata().forEach(w::metadata);
      for (String name : src.names()) {
        TensorInfo info = src.info(name);
        LoraWeights.Pair p = adapted.get(name);
        if (p == null) {
          w.add(name, info.dtype(), info.shape(), src.segment(name));
          continue;
        }
        int rows = Math.toIntExact(info.dim(0));
        int cols = Math.toIntExact(info.dim(1));
        try (Tensor t = backend.upload(src.floats(name), DType.F32, Shape.of(rows, cols))) {
          backend.matmul(p.b(), false, p.a(), false, t, p.scale(), 1);
          w.addFloats(name, info.shape(), backend.download(t), info.dtype());
        }
      }
      w.write(outFile);
    }
  }
}
