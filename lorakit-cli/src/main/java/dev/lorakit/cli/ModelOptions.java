package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.models.LoraModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of the commands that run a model: the model, an optional adapter, the device and
 * precision.
 */
final class ModelOptions {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description =
          "The base model: a Hugging Face folder with config.json, *.safetensors and tokenizer.json.")
  Path model;

  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description =
          "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) made for the model.")
  Path adapter;

  @Option(
      names = "--device",
      defaultValue = "auto",
      paramLabel = "DEVICE",
      description =
          "cpu, cuda or auto (a GPU if one can be used, else the CPU) (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      paramLabel = "P",
      description =
          "fp32, or bf16 (frozen weights in bfloat16; on a GPU the activations too) (default: ${DEFAULT-VALUE}).")
  String precision;

  Backend backend(PrintWriter err) {
    return Cli.backend(device, Cli.precision(precision), err);
  }

  LoraModel open(Backend backend) throws IOException {
    Cli.requireFolder(model, "--model");
    return LoraModel.open(model, backend, Cli.precision(precision));
  }

  /** The adapter's matrices for {@code m}, or null when no adapter was given. */
  LoraWeights adapter(LoraModel m, Backend backend) throws IOException {
    if (adapter == null) return null;
    Cli.requireFolder(adapter, "--adapter");
    return LoraWeights.read(adapter, m.decoder().config(), backend);
  }
}
