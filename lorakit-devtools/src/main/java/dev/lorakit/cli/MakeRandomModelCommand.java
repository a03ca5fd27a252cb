package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit-dev make-random-model}: a random LLaMA-architecture model folder, a random PEFT
 * adapter and a token batch, the inputs of the scale check in {@code scripts/correctness-1b.sh}
 * (lorakit and transformers + PEFT on the same files). A development tool, hidden from the command
 * list.
 */
@Command(
    name = "make-random-model",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes a Hugging Face model folder with random bf16 weights (config.json, model.safetensors or shards with"
          + " model.safetensors.index.json), optionally a PEFT adapter with random non-zero A and B on all seven"
          + " projections, and a batch of token ids (input_ids, labels). Same seed, same bytes."
    })
final class MakeRandomModelCommand implements Callable<Integer> {

  @Option(
      names = "--shape",
      defaultValue = "llama-1b",
      paramLabel = "NAME",
      description =
          "llama-1b (hidden 2048, 16 layers, 16 heads, MLP 5632, vocab 32000; 1.0e9 parameters), llama2-7b"
              + " (LLaMA-2-7B's shape: hidden 4096, 32 layers, 32 heads, MLP 11008; 6.7e9 parameters, 13.5 GB) or tiny"
              + " (hidden 64, 2 layers, 4 heads on 2 key/value heads, MLP 160, vocab 512) (default: ${DEFAULT-VALUE}).")
  String shape;

  @Option(
      names = "--seed",
      defaultValue = "0",
      paramLabel = "N",
      description = "Seed of every value (default: 0).")
  long seed;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "The model folder to create; it must not exist yet (or be empty).")
  Path out;

  @Option(
      names = "--adapter-out",
      paramLabel = "DIR",
      description = "Also write a PEFT adapter folder here.")
  Path adapterOut;

  @Option(
      names = "--lora-r",
      defaultValue = "16",
      paramLabel = "R",
      description = "The adapter's rank; alpha is 2r (default: ${DEFAULT-VALUE}).")
  int rank;

  @Option(
      names = "--batch-out",
      paramLabel = "FILE",
      description = "Also write a safetensors file with input_ids and labels [batch, seq] (int64).")
  Path batchOut;

  @Option(
      names = "--batch",
      defaultValue = "2",
      paramLabel = "N",
      description = "Sequences (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--seq",
      defaultValue = "256",
      paramLabel = "N",
      description = "Tokens a sequence (default: ${DEFAULT-VALUE}).")
  int seq;

  @Option(
      names = "--shard-mib",
      defaultValue = "1024",
      paramLabel = "MIB",
      description =
          "Largest weight file; more weights are split into shards (default: ${DEFAULT-VALUE}).")
  long shardMib;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    RandomModel model = RandomModel.shape(shape);
    if (rank < 1) throw new LorakitInputException("--lora-r must be at least 1, not " + rank + ".");
    if (shardMib < 1)
      throw new LorakitInputException("--shard-mib must be at least 1, not " + shardMib + ".");
    if (batchOut != null) model.checkBatch(batch, seq);
    PrintWriter o = spec.commandLine().getOut();
    long start = System.nanoTime();
    model.writeModel(out, seed, shardMib << 20);
    o.printf(
        Locale.ROOT,
        "Wrote %s (%s, %.3g parameters, bf16) in %.1f s.%n",
        out,
        model.name(),
        (double) model.parameters(),
        (System.nanoTime() - start) / 1e9);
    if (adapterOut != null) {
      DecoderConfig c;
      try (ModelFolder folder = ModelFolder.open(out)) {
        c = folder.decoderConfig();
      }
      model.writeAdapter(adapterOut, c, seed + 1, rank);
      o.printf(
          Locale.ROOT,
          "Wrote %s (rank %d, alpha %d, all seven projections, random A and B).%n",
          adapterOut,
          rank,
          2 * rank);
    }
    if (batchOut != null) {
      model.writeBatch(batchOut, seed + 2, batch, seq);
      o.printf(Locale.ROOT, "Wrote %s (%d x %d token ids and labels).%n", batchOut, batch, seq);
    }
    o.flush();
    return 0;
  }
}
