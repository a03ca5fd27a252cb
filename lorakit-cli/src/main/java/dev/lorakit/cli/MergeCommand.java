package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.OutputFolder;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.models.MergedModel;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorakit merge}: folds an adapter into the base weights and writes a plain model folder.
 */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Folds a LoRA adapter into the base model's weights (W + scale * B A for every adapted projection) and "
          + "writes a model folder that transformers and lorakit load without the adapter.",
      "The weights are sharded as the input's are: one model.safetensors, or the same shards with the same "
          + "model.safetensors.index.json; each tensor keeps its dtype. config.json and the tokenizer files are "
          + "copied. The files are written aside and renamed into place only when all are complete; other files in the folder are left alone."
    })
final class MergeCommand implements Callable<Integer> {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "The base model folder.")
  Path model;

  @Option(
      names = "--adapter",
      required = true,
      paramLabel = "DIR",
      description = "The PEFT adapter folder.")
  Path adapter;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description =
          "The merged model folder to write: a new or empty folder, or an earlier merge's output.")
  Path out;

  @Option(
      names = "--overwrite",
      description =
          "Write into an --out that holds files lorakit did not write; only the merge's own files there are "
              + "replaced (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = spec.commandLine().getOut();
    Cli.requireFolder(model, "--model");
    Cli.requireFolder(adapter, "--adapter");
    if (Files.isDirectory(out)
        && (Files.isSameFile(out, model) || Files.isSameFile(out, adapter))) {
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
      folder.requireFreeSpace(MergedModel.weightBytes(model), "the merged weights");
      // The weights are written aside and renamed into place only when all are complete.
      Path temp = folder.newTemporaryFolder("merge");
      merged = MergedModel.write(model, lora, temp, backend);
      folder.adopt(temp);
    }
    o.printf(
        "Merged %d adapted projections into %s in %.1f s.%n",
        merged, out, (System.nanoTime() - start) / 1e9);
    o.flush();
    return 0;
  }
}
