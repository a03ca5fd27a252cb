package dev.lorakit.core.lora;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.nn.DecoderConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A {@link LoraConfig} applied to a decoder of a given shape: which projections of which blocks are
 * adapted, and each one's rank and scale. This is the one place where PEFT's {@code
 * target_modules}, {@code exclude_modules}, {@code layers_to_transform}, {@code layers_pattern},
 * {@code rank_pattern}, {@code alpha_pattern} and {@code use_rslora} are resolved against a model;
 * {@link LoraWeights} allocates what it lists and the decoder applies what it lists.
 *
 * <p>A wrapped projection computes {@code y = W x + scale * B A dropout(x)}.
 */
public final class LoraSpec {

  /**
   * One adapted projection.
   *
   * @param layer the block index
   * @param target the projection
   * @param rank its rank ({@code rank_pattern} or {@code r})
   * @param scale the factor on {@code B A}: alpha / rank, or alpha / sqrt(rank) with rsLoRA
   */
  public record Module(int layer, LoraTarget target, int rank, double scale) {

    /** The module's name in the base model, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String name() {
      return target.moduleName(layer);
    }
  }

  private final LoraConfig config;
  private final DecoderConfig model;
  private final List<Module> modules;
  private final Module[][] byLayer;

  private LoraSpec(LoraConfig config, DecoderConfig model, List<Module> modules) {
    this.config = config;
    this.model = model;
    this.modules = List.copyOf(modules);
    this.byLayer = new Module[model.layers()][LoraTarget.values().length];
    for (Module m : modules) {
      byLayer[m.layer()][m.target().ordinal()] = m;
    }
  }

  /**
   * Resolves {@code config} against the modules of {@code model} with PEFT's rules.
   *
   * @throws LorakitInputException in one sentence when a {@code target_modules} entry or expression
   *     matches no module (listing the modules there are), when {@code layers_to_transform} names a
   *     layer the model does not have, when the config selects a module lorakit does not adapt
   *     ({@code lm_head}, the embedding), or when it selects nothing at all
   */
  public static LoraSpec of(LoraConfig config, DecoderConfig model) {
    if (config.layersToTransform() != null) {
      for (int layer : config.layersToTransform()) {
        if (layer >= model.layers()) {
          throw new LorakitInputException(
              "layers_to_transform holds layer "
                  + layer
                  + ", but the model has "
                  + layerRange(model)
                  + ".");
        }
      }
    }
    for (String other : List.of("lm_head", "model.embed_tokens")) {
      boolean linearOnly = config.targetModules() instanceof TargetModules.AllLinear;
      if (!(linearOnly && other.equals("model.embed_tokens")) && config.targets(other)) {
        throw new LorakitInputException(
            "target_modules "
                + describe(config.targetModules())
                + " selects "
                + other
                + ", which lorakit does not adapt; it adapts "
                + available(model)
                + ".");
      }
    }
    if (config.targetModules() instanceof TargetModules.Names names) {
      for (String entry : names.names()) {
        if (!anyBlockModule(model, n -> n.equals(entry) || n.endsWith("." + entry))) {
          throw new LorakitInputException(
              "target_modules entry \""
                  + entry
                  + "\" matches no module of the "
                  + "model; its adaptable modules are "
                  + available(model)
                  + ".");
        }
      }
    }
    List<Module> modules = new ArrayList<>();
    for (int layer = 0; layer < model.layers(); layer++) {
      for (LoraTarget target : LoraTarget.values()) {
        String name = target.moduleName(layer);
        if (config.targets(name)) {
          modules.add(new Module(layer, target, config.rank(name), config.scaling(name)));
        }
      }
    }
    if (modules.isEmpty()) {
      String filters =
          (config.layersToTransform() == null
                  ? ""
                  : " with layers_to_transform " + config.layersToTransform())
              + (config.layersPattern() == null
                  ? ""
                  : " and layers_pattern " + config.layersPattern())
              + (config.excludeModules() == null
                  ? ""
                  : " and exclude_modules " + describe(config.excludeModules()));
      throw new LorakitInputException(
          "target_modules "
              + describe(config.targetModules())
              + filters
              + " matches no module of the model; its adaptable modules are "
              + available(model)
              + ".");
    }
    return new LoraSpec(config, model, modules);
  }

  /** "2 layers (0 to 1)", "1 layer (0)". */
  static String layerRange(DecoderConfig model) {
    int n = model.layers();
    return n == 1 ? "1 layer (0)" : n + " layers (0 to " + (n - 1) + ")";
  }

  private static boolean anyBlockModule(DecoderConfig model, Predicate<String> test) {
    for (int layer = 0; layer < model.layers(); layer++) {
      for (LoraTarget t : LoraTarget.values()) {
        if (test.test(t.moduleName(layer))) {
          return true;
        }
      }
    }
    return false;
  }

  private static String describe(TargetModules t) {
    return switch (t) {
      case TargetModules.Names n ->
          n.names().stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
      case TargetModules.Regex r -> "\"" + r.regex() + "\"";
      case TargetModules.AllLinear a -> "\"" + TargetModules.ALL_LINEAR + "\"";
    };
  }

  /**
   * The adaptable module names in brief: {@code model.layers.{0..31}.self_attn.{q_proj,...}} and
   * the MLP's.
   */
  private static String available(DecoderConfig model) {
    String layers =
        "model.layers.{" + (model.layers() == 1 ? "0" : "0.." + (model.layers() - 1)) + "}.";
    String attention =
        Arrays.stream(LoraTarget.values())
            .filter(t -> t.modulePath().startsWith("self_attn."))
            .map(LoraTarget::shortName)
            .collect(Collectors.joining(","));
    String mlp =
        Arrays.stream(LoraTarget.values())
            .filter(t -> t.modulePath().startsWith("mlp."))
            .map(LoraTarget::shortName)
            .collect(Collectors.joining(","));
    return layers + "self_attn.{" + attention + "} and " + layers + "mlp.{" + mlp + "}";
  }

  /** The configuration this was resolved from. */
  public LoraConfig config() {
    return config;
  }

  /** The decoder shape it was resolved against. */
  public DecoderConfig model() {
    return model;
  }

  /** The adapted projections, block by block, in {@link LoraTarget} order within a block. */
  public List<Module> modules() {
    return modules;
  }

  /**
   * The adapted projection {@code target} of block {@code layer}, or null when it is not adapted.
   */
  public Module module(int layer, LoraTarget target) {
    return byLayer[layer][target.ordinal()];
  }

  /** {@code lora_dropout}, applied to the input of every LoRA path while training. */
  public double dropout() {
    return config.loraDropout();
  }

  /**
   * The number of trainable values: {@code rank * (in + out)} summed over the adapted projections.
   */
  public long parameterCount() {
    long n = 0;
    for (Module m : modules) {
      n += (long) m.rank() * (m.target().in(model) + m.target().out(model));
    }
    return n;
  }

  @Override
  public String toString() {
    return "LoRA on "
        + modules.size()
        + " projections of "
        + model.layers()
        + " layers, ranks "
        + modules.stream().map(Module::rank).distinct().sorted().toList()
        + ", "
        + parameterCount()
        + " parameters";
  }
}
