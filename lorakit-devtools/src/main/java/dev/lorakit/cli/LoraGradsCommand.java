package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit-dev lora-grads}: one forward and backward of a model with an adapter on a token
 * batch, writing the loss and every LoRA gradient, under the names {@code compare-grads} and the
 * scale check's Python side use. A development tool, hidden from the command list.
 */
@Command(
    name = "lora-grads",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs one forward and backward of --model with --adapter on --batch (input_ids and labels, Hugging Face's"
          + " causal-LM loss: the mean over labels != -100, shifted by one) and writes a safetensors file: loss [1]"
          + " and grad.<PEFT parameter name> for every LoRA matrix, float32."
    })
final class LoraGradsCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model folder.")
  Path model;

  @Option(
      names = "--adapter",
      required = true,
      paramLabel = "DIR",
      description = "The PEFT adapter folder.")
  Path adapter;

  @Option(
      names = "--batch",
      required = true,
      paramLabel = "FILE",
      description = "A safetensors file with input_ids and labels, both [batch, seq] integers.")
  Path batchFile;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "The safetensors file to write.")
  Path out;

  @Option(
      names = "--overwrite",
      description = "Replace --out if it exists (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @Option(
      names = "--device",
      defaultValue = "auto",
      paramLabel = "DEVICE",
      description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      paramLabel = "P",
      description =
          "fp32, or bf16 (frozen weights in bfloat16; on a GPU the activations too) (default: ${DEFAULT-VALUE}).")
  String precision;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Cli.requireFolder(model, "--model");
    Cli.requireFolder(adapter, "--adapter");
    Cli.requireNewFile(out, "--out", overwrite);
    int[] ids;
    int[] labels;
    int batch;
    try (SafeTensorsFile f = SafeTensorsFile.open(batchFile)) {
      for (String name : new String[] {"input_ids", "labels"}) {
        if (!f.names().contains(name)) {
          throw new LorakitInputException(
              "--batch " + batchFile + " has no tensor \"" + name + "\".");
        }
      }
      TensorInfo info = f.info("input_ids");
      if (info.shape().length != 2 || !Arrays.equals(info.shape(), f.info("labels").shape())) {
        throw new LorakitInputException(
            "--batch "
                + batchFile
                + ": input_ids "
                + Arrays.toString(info.shape())
                + " and labels "
                + Arrays.toString(f.info("labels").shape())
                + " must both be [batch, seq].");
      }
      batch = Math.toIntExact(info.shape()[0]);
      ids = f.ints("input_ids");
      labels = f.ints("labels");
    }
    Precision p = Cli.precision(precision);
    PrintWriter o = spec.commandLine().getOut();
    try (Backend backend = Cli.backend(device, p, spec.commandLine().getErr());
        ModelFolder folder = ModelFolder.open(model)) {
      long start = System.nanoTime();
      DecoderWeights weights = folder.decoderWeights(backend, p);
      try (Decoder decoder = new Decoder(folder.decoderConfig(), weights, backend, p);
          LoraWeights lora = LoraWeights.read(adapter, folder.decoderConfig(), backend)) {
        double loaded = (System.nanoTime() - start) / 1e9;
        decoder.setLora(lora);
        decoder.setTraining(true);
        lora.zeroGrad();
        long step = System.nanoTime();
        double loss = CausalLmLoss.forwardBackward(decoder, ids, labels, batch);
        SafeTensorsWriter w =
            SafeTensorsWriter.create()
                .metadata("backend", backend.name())
                .metadata("precision", p.label())
                .addFloats(
                    "loss", new long[] {1}, new float[] {(float) loss}, SafeTensorsDtype.F32);
        for (Parameter param : lora.parameters()) {
          long[] shape = Arrays.stream(param.grad().shape().dims()).asLongStream().toArray();
          w.addFloats(
              "grad." + param.name(), shape, backend.download(param.grad()), SafeTensorsDtype.F32);
        }
        double stepSeconds = (System.nanoTime() - step) / 1e9;
        w.write(out);
        o.printf(
            Locale.ROOT,
            "loss %.6f; %d LoRA gradients written to %s (%s, %s; load %.1f s, step %.2f s).%n",
            loss,
            lora.parameters().size(),
            out,
            p.label(),
            backend.name(),
            loaded,
            stepSeconds);
      } finally {
        weights.close();
      }
    }
    o.flush();
    return 0;
  }
}
