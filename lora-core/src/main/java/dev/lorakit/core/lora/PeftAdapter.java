package dev.lorakit.core.lora;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.AtomicFile;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PEFT LoRA adapter folder: {@code adapter_config.json} and {@code adapter_model.safetensors},
 * with PEFT's tensor names, for example {@code
 * base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight} ([r, in]) and {@code
 * ...lora_B.weight} ([out, r]). Module names here are the base model's own ({@code
 * model.layers.0.self_attn.q_proj}).
 *
 * <p>Tensors keep the dtype they were read with (F32, BF16 or F16), so reading and writing an
 * adapter is bit-exact. Writing is atomic per file, and the configuration is renamed into place
 * last: a folder with an {@code adapter_config.json} written by lorakit always has the matching
 * weights beside it.
 *
 * @param config the configuration
 * @param tensors PEFT tensor name to tensor, in file order
 */
public record PeftAdapter(LoraConfig config, Map<String, AdapterTensor> tensors) {

  public static final String CONFIG_FILE = LoraConfig.FILE_NAME;
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  /** The prefix PEFT puts before a base model's module names. */
  public static final String PREFIX = "base_model.model.";

  /**
   * One adapter tensor.
   *
   * @param shape its dimensions
   * @param values its values, row-major
   * @param dtype how it is stored on disk: F32, BF16 or F16
   */
  public record AdapterTensor(long[] shape, float[] values, SafeTensorsDtype dtype) {
    public AdapterTensor {
      shape = shape.clone();
      Objects.requireNonNull(values, "values");
      if (dtype != SafeTensorsDtype.F32
          && dtype != SafeTensorsDtype.BF16
          && dtype != SafeTensorsDtype.F16) {
        throw new IllegalArgumentException(
            "Adapter tensors are stored as F32, BF16 or F16, not " + dtype + ".");
      }
      if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != values.length) {
        throw new IllegalArgumentException(
            "Shape " + Arrays.toString(shape) + " does not hold " + values.length + " values.");
      }
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /**
     * The values themselves, not a copy: adapters can be large and are written from these arrays.
     */
    @Override
    public float[] values() {
      return values;
    }
  }

  public PeftAdapter {
    Objects.requireNonNull(config, "config");
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    for (Map.Entry<String, AdapterTensor> e : tensors.entrySet()) {
      checkTensor(config, e.getKey(), e.getValue(), tensors);
    }
  }

  /** PEFT's name of a module's A matrix. */
  public static String loraAName(String moduleName) {
    return PREFIX + moduleName + ".lora_A.weight";
  }

  /** PEFT's name of a module's B matrix. */
  public static String loraBName(String moduleName) {
    return PREFIX + moduleName + ".lora_B.weight";
  }

  /** The adapted modules, in file order. */
  public List<String> modules() {
    return tensors.keySet().stream()
        .filter(n -> n.endsWith(".lora_A.weight"))
        .map(n -> n.substring(PREFIX.length(), n.length() - ".lora_A.weight".length()))
        .toList();
  }

  /** The module's A matrix, [r, in]. */
  public AdapterTensor loraA(String moduleName) {
    return tensor(loraAName(moduleName));
  }

  /** The module's B matrix, [out, r]. */
  public AdapterTensor loraB(String moduleName) {
    return tensor(loraBName(moduleName));
  }

  private AdapterTensor tensor(String name) {
    AdapterTensor t = tensors.get(name);
    if (t == null) {
      throw new LorakitInputException("The adapter has no tensor \"" + name + "\".");
    }
    return t;
  }

  /**
   * Every tensor is a module's lora_A or lora_B, paired, of the configured rank and targeted by the
   * config.
   */
  private static void checkTensor(
      LoraConfig config, String name, AdapterTensor t, Map<String, AdapterTensor> all) {
    boolean isA = name.endsWith(".lora_A.weight");
    boolean isB = name.endsWith(".lora_B.weight");
    if (!name.startsWith(PREFIX) || !isA && !isB) {
      throw new LorakitInputException(
          "Tensor \""
              + name
              + "\" is not a LoRA weight named "
              + PREFIX
              + "<module>.lora_A.weight or .lora_B.weight.");
    }
    String module = name.substring(PREFIX.length(), name.length() - ".lora_A.weight".length());
    String partner = isA ? loraBName(module) : loraAName(module);
    if (!all.containsKey(partner)) {
      throw new LorakitInputException(
          "Tensor \"" + name + "\" has no partner \"" + partner + "\".");
    }
    long[] shape = t.shape();
    int rank = config.rank(module);
    if (shape.length != 2 || shape[isA ? 0 : 1] != rank) {
      throw new LorakitInputException(
          "Tensor \""
              + name
              + "\" has shape "
              + Arrays.toString(shape)
              + ", but the config gives module "
              + module
              + " rank "
              + rank
              + "; expected "
              + (isA ? "[" + rank + ", in]" : "[out, " + rank + "]")
              + ".");
    }
    if (!config.targets(module)) {
      throw new LorakitInputException(
          "Tensor \""
              + name
              + "\" adapts module "
              + module
              + ", which the config's target_modules / layers_to_transform do not select.");
    }
    // An adapter with NaN or infinity makes every answer empty: never written, never loaded.
    float[] v = t.values();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new LorakitInputException(
            "Tensor \"" + name + "\" holds a non-finite value (" + v[i] + " at index " + i + ").");
      }
    }
  }

  /**
   * Reads an adapter folder.
   *
   * @throws IOException naming the file that is missing or cannot be read as JSON or safetensors
   * @throws LorakitInputException naming the file and the tensor or field that is wrong
   */
  public static PeftAdapter read(Path folder) throws IOException {
    Path configFile = folder.resolve(CONFIG_FILE);
    Path weightsFile = folder.resolve(WEIGHTS_FILE);
    for (Path required : List.of(configFile, weightsFile)) {
      if (!Files.isRegularFile(required)) {
        throw new IOException(
            folder + " is not a PEFT adapter folder: it has no " + required.getFileName() + ".");
      }
    }
    LoraConfig config = LoraConfig.read(configFile);
    Map<String, AdapterTensor> tensors = new LinkedHashMap<>();
    try (SafeTensorsFile file = SafeTensorsFile.open(weightsFile)) {
      for (String name : file.names()) {
        TensorInfo info = file.info(name);
        SafeTensorsDtype dtype = info.dtype();
        if (dtype != SafeTensorsDtype.F32
            && dtype != SafeTensorsDtype.BF16
            && dtype != SafeTensorsDtype.F16) {
          throw new IOException(
              weightsFile
                  + ": tensor \""
                  + name
                  + "\" is "
                  + dtype
                  + "; adapter weights must be F32, BF16 or F16.");
        }
        tensors.put(name, new AdapterTensor(info.shape(), file.floats(name), dtype));
      }
    }
    try {
      return new PeftAdapter(config, tensors);
    } catch (LorakitInputException e) {
      throw new LorakitInputException(weightsFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the adapter folder (created if absent): both files go to temporary names and are synced
   * first, then the weights and last the configuration are renamed into place.
   */
  public void write(Path folder) throws IOException {
    Files.createDirectories(folder);
    SafeTensorsWriter writer = SafeTensorsWriter.create().metadata("format", "pt");
    tensors.forEach((name, t) -> writer.addFloats(name, t.shape(), t.values(), t.dtype()));
    try (AtomicFile weights = AtomicFile.create(folder.resolve(WEIGHTS_FILE));
        AtomicFile config = AtomicFile.create(folder.resolve(CONFIG_FILE))) {
      writer.write(weights.channel());
      weights.finish();
      config.write(ByteBuffer.wrap(this.config.toJsonText().getBytes(StandardCharsets.UTF_8)));
      config.finish();
      weights.publish();
      config.publish();
    }
  }
}
