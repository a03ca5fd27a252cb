package dev.lorakit.cli;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.lora.PeftAdapter;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Between PEFT's adapter folders ({@link LoraConfig}, {@link PeftAdapter}) and the engine's LoRA matrices
 * ({@link LoraSpec}, {@link LoraWeights}).
 */
final class Adapters {

  private Adapters() {}

  /** The engine's spec for {@code config}; per-module ranks and layer subsets are refused with a sentence. */
  static LoraSpec spec(LoraConfig config, DecoderConfig model) {
    if (!config.rankPattern().isEmpty() || !config.alphaPattern().isEmpty()) {
      throw new IllegalArgumentException("This adapter sets rank_pattern or alpha_pattern; lorakit trains and "
          + "applies one rank and alpha for every module.");
    }
    Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
    for (LoraTarget t : LoraTarget.values()) {
      boolean first = config.targets("model.layers.0." + t.modulePath(), 0);
      for (int l = 0; l < model.layers(); l++) {
        if (config.targets("model.layers." + l + "." + t.modulePath(), l) != first) {
          throw new IllegalArgumentException("This adapter adapts " + t.moduleName() + " in some layers only "
              + "(layers_to_transform); lorakit applies an adapter to every layer.");
        }
      }
      if (first) targets.add(t);
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("The adapter's target_modules select none of q_proj, k_proj, v_proj, "
          + "o_proj, gate_proj, up_proj, down_proj.");
    }
    return new LoraSpec(config.r(), config.loraAlpha(), config.loraDropout(), config.useRslora(), targets);
  }

  /** The matrices as a PEFT adapter (float32 on disk). */
  static PeftAdapter toPeft(LoraConfig config, LoraWeights weights, Backend backend) {
    Map<String, PeftAdapter.AdapterTensor> tensors = new LinkedHashMap<>();
    for (LoraWeights.Pair p : weights.pairs()) {
      tensors.put(p.target().peftName(p.layer(), "A"), tensor(p.a(), backend));
      tensors.put(p.target().peftName(p.layer(), "B"), tensor(p.b(), backend));
    }
    return new PeftAdapter(config, tensors);
  }

  private static PeftAdapter.AdapterTensor tensor(Tensor t, Backend backend) {
    long[] shape = Arrays.stream(t.shape().dims()).asLongStream().toArray();
    return new PeftAdapter.AdapterTensor(shape, backend.download(t), SafeTensorsDtype.F32);
  }

  /**
   * The engine's matrices read from a PEFT adapter made for {@code model}.
   *
   * @throws IllegalArgumentException naming the tensor whose shape does not fit this model
   */
  static LoraWeights fromPeft(PeftAdapter adapter, DecoderConfig model, Backend backend, String where) {
    LoraSpec spec = spec(adapter.config(), model);
    LoraWeights w = LoraWeights.zeros(model, spec, backend);
    try {
      for (LoraWeights.Pair p : w.pairs()) {
        for (String m : new String[] {"A", "B"}) {
          String name = p.target().peftName(p.layer(), m);
          PeftAdapter.AdapterTensor t = adapter.tensors().get(name);
          Tensor dst = m.equals("A") ? p.a() : p.b();
          long[] expected = Arrays.stream(dst.shape().dims()).asLongStream().toArray();
          if (t == null) {
            throw new IllegalArgumentException(where + " has no tensor \"" + name + "\"; it was not made for this "
                + "model (" + model.layers() + " layers).");
          }
          if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(where + ": tensor \"" + name + "\" has shape "
                + Arrays.toString(t.shape()) + " but this model needs " + Arrays.toString(expected)
                + "; the adapter was made for another model.");
          }
          try (Tensor tmp = backend.upload(t.values(), DType.F32, dst.shape())) {
            backend.copy(tmp, dst);
          }
        }
      }
      int used = 2 * w.pairs().size();
      if (adapter.tensors().size() != used) {
        throw new IllegalArgumentException(where + " holds " + adapter.tensors().size() + " LoRA tensors but this "
            + "model has room for " + used + "; the adapter was made for another model.");
      }
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
  }
}
