package dev.lorakit.core.lora;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA adapter's configuration in PEFT's vocabulary and with PEFT's semantics: the contents of
 * {@code adapter_config.json}.
 *
 * <p>Every field of the file is kept: {@link #json()} holds the object as read, and writing
 * overlays the fields modelled here on it, so fields lorakit does not model come back unchanged. An
 * option lorakit does not implement (DoRA, a bias other than {@code "none"}, {@code
 * fan_in_fan_out}, PiSSA/OLoRA/LoftQ initialisation, modules to save, Megatron, ...) is refused
 * with a sentence naming the field and its value, never ignored.
 *
 * @param r the LoRA rank
 * @param loraAlpha the scaling numerator: the update is {@code B A * alpha / r} (or {@code /
 *     sqrt(r)})
 * @param loraDropout dropout on the adapter's input, in [0, 1)
 * @param targetModules the adapted modules
 * @param excludeModules modules never adapted even if targeted; null for none
 * @param useRslora rank-stabilised scaling {@code alpha / sqrt(r)}
 * @param bias only {@code "none"} is implemented
 * @param layersToTransform the layer indices to adapt; null for every layer
 * @param layersPattern the name(s) of the layer list in module names ({@code "layers"}); null for
 *     any
 * @param rankPattern module-name pattern to rank, overriding {@code r}
 * @param alphaPattern module-name pattern to alpha, overriding {@code lora_alpha}
 * @param modulesToSave must be null or empty (full fine-tuning of extra modules is not implemented)
 * @param initLoraWeights how A and B start
 * @param taskType null or {@code "CAUSAL_LM"}
 * @param baseModelNameOrPath the base model, as PEFT records it; may be null
 * @param peftType must be {@code "LORA"}
 * @param fanInFanOut must be false (weights stored transposed, as in GPT-2, are not implemented)
 * @param targetParameters must be null or empty (LoRA on bare parameters is not implemented)
 * @param inferenceMode whether the adapter was saved for inference
 * @param json the whole {@code adapter_config.json} object as read (empty when built in code)
 */
public record LoraConfig(
    int r,
    double loraAlpha,
    double loraDropout,
    TargetModules targetModules,
    TargetModules excludeModules,
    boolean useRslora,
    String bias,
    List<Integer> layersToTransform,
    List<String> layersPattern,
    Map<String, Integer> rankPattern,
    Map<String, Double> alphaPattern,
    List<String> modulesToSave,
    InitLoraWeights initLoraWeights,
    String taskType,
    String baseModelNameOrPath,
    String peftType,
    boolean fanInFanOut,
    List<String> targetParameters,
    boolean inferenceMode,
    ObjectNode json) {

  /** The file name PEFT gives the configuration. */
  public static final String FILE_NAME = "adapter_config.json";

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  public LoraConfig {
    require(targetModules != null, "target_modules is null; name the modules to adapt.");
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
    rankPattern =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(rankPattern == null ? Map.of() : rankPattern));
    alphaPattern =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(alphaPattern == null ? Map.of() : alphaPattern));
    modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    targetParameters = targetParameters == null ? null : List.copyOf(targetParameters);
    initLoraWeights = initLoraWeights == null ? InitLoraWeights.DEFAULT : initLoraWeights;
    json = json == null ? JsonNodeFactory.instance.objectNode() : json.deepCopy();
    validate(
        r,
        loraAlpha,
        loraDropout,
        targetModules,
        bias,
        layersToTransform,
        layersPattern,
        rankPattern,
        alphaPattern,
        modulesToSave,
        taskType,
        peftType,
        fanInFanOut,
        targetParameters);
    refuseUnsupportedFields(json);
  }

  /**
   * A configuration with PEFT's defaults for everything but the rank, alpha, dropout and targets:
   * no rsLoRA, bias "none", every layer, no patterns, default initialisation, task CAUSAL_LM.
   */
  public static LoraConfig of(
      int r, double loraAlpha, double loraDropout, TargetModules targetModules) {
    return new LoraConfig(
        r,
        loraAlpha,
        loraDropout,
        targetModules,
        null,
        false,
        "none",
        null,
        null,
        Map.of(),
        Map.of(),
        null,
        InitLoraWeights.DEFAULT,
        "CAUSAL_LM",
        null,
        "LORA",
        false,
        null,
        false,
        null);
  }

  /** The rank {@link #builder()} starts from (the {@code lorakit train} default too). */
  public static final int DEFAULT_R = 16;

  /** The alpha {@link #builder()} starts from: twice the rank, the usual LoRA recipe. */
  public static final double DEFAULT_ALPHA = 32;

  /** The dropout {@link #builder()} starts from. */
  public static final double DEFAULT_DROPOUT = 0.05;

  /** The projections {@link #builder()} adapts: all seven of a LLaMA block, comma-separated. */
  public static final String DEFAULT_TARGET_MODULES =
      "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";

  /**
   * A builder that starts from r {@value #DEFAULT_R}, alpha {@value #DEFAULT_ALPHA}, dropout
   * {@value #DEFAULT_DROPOUT}, all seven projections of every block, and otherwise PEFT's defaults
   * (no rsLoRA, bias "none", every layer, default initialisation, task CAUSAL_LM). PEFT's own class
   * defaults (r 8, alpha 8, no dropout, q_proj and v_proj) adapt too little for most tasks; they
   * remain what {@link #fromJson} assumes for a field a file leaves out.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration, to change some of it. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.r = r;
    b.loraAlpha = loraAlpha;
    b.loraDropout = loraDropout;
    b.targetModules = targetModules;
    b.excludeModules = excludeModules;
    b.useRslora = useRslora;
    b.layersToTransform = layersToTransform;
    b.layersPattern = layersPattern;
    b.rankPattern = rankPattern;
    b.alphaPattern = alphaPattern;
    b.initLoraWeights = initLoraWeights;
    b.taskType = taskType;
    b.baseModelNameOrPath = baseModelNameOrPath;
    b.inferenceMode = inferenceMode;
    b.json = json;
    return b;
  }

  /**
   * Builds a {@link LoraConfig} in PEFT's vocabulary; see {@link LoraConfig#builder()} for the
   * defaults.
   */
  public static final class Builder {
    private int r = DEFAULT_R;
    private double loraAlpha = DEFAULT_ALPHA;
    private double loraDropout = DEFAULT_DROPOUT;
    private TargetModules targetModules =
        new TargetModules.Names(List.of(DEFAULT_TARGET_MODULES.split(",")));
    private TargetModules excludeModules;
    private boolean useRslora;
    private List<Integer> layersToTransform;
    private List<String> layersPattern;
    private Map<String, Integer> rankPattern = Map.of();
    private Map<String, Double> alphaPattern = Map.of();
    private InitLoraWeights initLoraWeights = InitLoraWeights.DEFAULT;
    private String taskType = "CAUSAL_LM";
    private String baseModelNameOrPath;
    private boolean inferenceMode;
    private ObjectNode json;

    private Builder() {}

    /** PEFT's {@code r}: the rank. */
    public Builder r(int r) {
      this.r = r;
      return this;
    }

    /** PEFT's {@code lora_alpha}: the update is scaled by alpha / r. */
    public Builder loraAlpha(double loraAlpha) {
      this.loraAlpha = loraAlpha;
      return this;
    }

    /** PEFT's {@code lora_dropout}, in [0, 1). */
    public Builder loraDropout(double loraDropout) {
      this.loraDropout = loraDropout;
      return this;
    }

    /** PEFT's {@code target_modules}. */
    public Builder targetModules(TargetModules targetModules) {
      this.targetModules = targetModules;
      return this;
    }

    /**
     * PEFT's {@code target_modules} as a list of names; {@code "all-linear"} alone means every
     * linear layer.
     */
    public Builder targetModules(String... names) {
      return targetModules(
          names.length == 1 && names[0].equals(TargetModules.ALL_LINEAR)
              ? new TargetModules.AllLinear()
              : new TargetModules.Names(List.of(names)));
    }

    /** PEFT's {@code exclude_modules}; null for none. */
    public Builder excludeModules(TargetModules excludeModules) {
      this.excludeModules = excludeModules;
      return this;
    }

    /** PEFT's {@code use_rslora}: scale by alpha / sqrt(r). */
    public Builder useRslora(boolean useRslora) {
      this.useRslora = useRslora;
      return this;
    }

    /** PEFT's {@code layers_to_transform}; null for every layer. */
    public Builder layersToTransform(List<Integer> layers) {
      this.layersToTransform = layers;
      return this;
    }

    /** PEFT's {@code layers_pattern}; null for any. */
    public Builder layersPattern(List<String> patterns) {
      this.layersPattern = patterns;
      return this;
    }

    /** PEFT's {@code rank_pattern}: module-name pattern to rank. */
    public Builder rankPattern(Map<String, Integer> rankPattern) {
      this.rankPattern = rankPattern;
      return this;
    }

    /** PEFT's {@code alpha_pattern}: module-name pattern to alpha. */
    public Builder alphaPattern(Map<String, Double> alphaPattern) {
      this.alphaPattern = alphaPattern;
      return this;
    }

    /** PEFT's {@code init_lora_weights}. */
    public Builder initLoraWeights(InitLoraWeights init) {
      this.initLoraWeights = init;
      return this;
    }

    /** PEFT's {@code base_model_name_or_path}. */
    public Builder baseModelNameOrPath(String base) {
      this.baseModelNameOrPath = base;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws LorakitInputException naming the field and value lorakit cannot honour
     */
    public LoraConfig build() {
      return new LoraConfig(
          r,
          loraAlpha,
          loraDropout,
          targetModules,
          excludeModules,
          useRslora,
          "none",
          layersToTransform,
          layersPattern,
          rankPattern,
          alphaPattern,
          null,
          initLoraWeights,
          taskType,
          baseModelNameOrPath,
          "LORA",
          false,
          null,
          inferenceMode,
          json);
    }
  }

  /** The object as read, or empty (a copy: the record stays immutable). */
  @Override
  public ObjectNode json() {
    return json.deepCopy();
  }

  // ---- PEFT semantics
  // -------------------------------------------------------------------------------

  /**
   * Whether the module of that dotted name (for example {@code model.layers.3.self_attn.q_proj}) is
   * adapted, taking its layer index from the name as PEFT does (the number after {@code
   * layers_pattern}, or after any dotted component when no pattern is set).
   */
  public boolean targets(String moduleName) {
    return targets(moduleName, layerIndexOf(moduleName));
  }

  /**
   * Whether the module is adapted, given its layer index ({@code -1} when it is not in a numbered
   * layer). PEFT's rules: excluded modules never are; a regex must match the whole name; a list
   * entry matches the whole name or a dotted suffix, and only a suffix match is then filtered by
   * {@code layers_to_transform}; {@code "all-linear"} is every linear layer but {@code lm_head},
   * filtered by layer too.
   */
  public boolean targets(String moduleName, int layerIndex) {
    if (excludeModules != null && excludeModules.matches(moduleName)) {
      return false;
    }
    return switch (targetModules) {
      case TargetModules.Regex regex -> regex.matches(moduleName);
      case TargetModules.Names names ->
          names.names().contains(moduleName)
              || names.matchesBySuffix(moduleName) && inSelectedLayer(layerIndex);
      case TargetModules.AllLinear all -> all.matches(moduleName) && inSelectedLayer(layerIndex);
    };
  }

  private boolean inSelectedLayer(int layerIndex) {
    return layersToTransform == null
        || layersToTransform.isEmpty()
        || layersToTransform.contains(layerIndex);
  }

  /** The layer index PEFT reads from a module name, or -1 when the name has none. */
  public int layerIndexOf(String moduleName) {
    List<String> patterns =
        layersPattern == null || layersPattern.isEmpty() ? List.of("[^.]*") : layersPattern;
    for (String pattern : patterns) {
      Matcher m = Pattern.compile(".*\\." + pattern + "\\.(\\d+)\\.").matcher(moduleName);
      if (m.lookingAt()) {
        try {
          return Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /**
   * The module's rank: the first {@code rank_pattern} key that matches its name, else {@code r}.
   */
  public int rank(String moduleName) {
    String key = patternKey(rankPattern.keySet(), moduleName);
    return key == null ? r : rankPattern.get(key);
  }

  /**
   * The module's alpha: the first {@code alpha_pattern} key that matches its name, else {@code
   * lora_alpha}.
   */
  public double alpha(String moduleName) {
    String key = patternKey(alphaPattern.keySet(), moduleName);
    return key == null ? loraAlpha : alphaPattern.get(key);
  }

  /** The factor on {@code B A x}: alpha / r, or alpha / sqrt(r) with rsLoRA, per module. */
  public double scaling(String moduleName) {
    int rank = rank(moduleName);
    return alpha(moduleName) / (useRslora ? Math.sqrt(rank) : rank);
  }

  /**
   * PEFT's pattern lookup: keys are tried in order, and a key matches when it (as a regular
   * expression) matches the whole name or a dotted suffix of it.
   */
  private static String patternKey(Set<String> keys, String moduleName) {
    for (String key : keys) {
      if (Pattern.compile("(.*\\.)?(?:" + key + ")").matcher(moduleName).matches()) {
        return key;
      }
    }
    return null;
  }

  // ---- validation
  // ---------------------------------------------------------------------------------------

  private static void validate(
      int r,
      double alpha,
      double dropout,
      TargetModules targets,
      String bias,
      List<Integer> layers,
      List<String> layersPattern,
      Map<String, Integer> rankPattern,
      Map<String, Double> alphaPattern,
      List<String> modulesToSave,
      String taskType,
      String peftType,
      boolean fanInFanOut,
      List<String> targetParameters) {
    require(r > 0, "r is " + r + "; the rank must be positive.");
    require(Double.isFinite(alpha), "lora_alpha is " + alpha + "; it must be a finite number.");
    require(dropout >= 0 && dropout < 1, "lora_dropout is " + dropout + "; it must be in [0, 1).");
    require(
        "LORA".equals(peftType),
        "peft_type is " + quote(peftType) + "; lorakit implements only \"LORA\".");
    require(
        "none".equals(bias),
        "bias is " + quote(bias) + "; lorakit implements only \"none\" (no trainable biases).");
    require(
        !fanInFanOut, "fan_in_fan_out is true; lorakit implements only weights stored [out, in].");
    require(
        modulesToSave == null || modulesToSave.isEmpty(),
        "modules_to_save is "
            + quote(modulesToSave)
            + "; lorakit does not train whole modules beside the adapter.");
    require(
        targetParameters == null || targetParameters.isEmpty(),
        "target_parameters is "
            + quote(targetParameters)
            + "; lorakit adapts linear modules only.");
    require(
        taskType == null || taskType.equals("CAUSAL_LM"),
        "task_type is " + quote(taskType) + "; lorakit implements only \"CAUSAL_LM\".");
    if (targets instanceof TargetModules.Regex) {
      require(
          layers == null,
          "layers_to_transform cannot be used when target_modules is a regular expression.");
      require(
          layersPattern == null,
          "layers_pattern cannot be used when target_modules is a regular expression.");
    }
    if (layers != null) {
      for (int layer : layers) {
        require(
            layer >= 0, "layers_to_transform holds " + layer + "; layer indices are not negative.");
      }
    }
    if (layersPattern != null) {
      for (String p : layersPattern) {
        compiles("layers_pattern", p);
      }
    }
    rankPattern.forEach(
        (key, rank) -> {
          compiles("rank_pattern", key);
          require(
              rank != null && rank > 0,
              "rank_pattern gives " + quote(key) + " rank " + rank + "; ranks must be positive.");
        });
    alphaPattern.forEach(
        (key, a) -> {
          compiles("alpha_pattern", key);
          require(
              a != null && Double.isFinite(a),
              "alpha_pattern gives " + quote(key) + " alpha " + a + ".");
        });
  }

  private static void compiles(String field, String regex) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new LorakitInputException(
          field
              + " key "
              + quote(regex)
              + " is not a valid regular expression ("
              + e.getDescription()
              + ").",
          e);
    }
  }

  private static void require(boolean ok, String sentence) {
    if (!ok) {
      throw new LorakitInputException(sentence);
    }
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  private static String quote(List<String> list) {
    return list == null
        ? "null"
        : list.stream().map(LoraConfig::quote).toList().toString().replace(", ", ",");
  }

  /** PEFT fields lorakit does not model but that are harmless whatever their value. */
  private static final Set<String> HARMLESS =
      Set.of("peft_version", "megatron_core", "qalora_group_size", "revision", "auto_mapping");

  /**
   * PEFT options lorakit does not implement, with why, refused unless they hold their "off" value.
   */
  private static final Map<String, String> UNSUPPORTED = unsupported();

  private static Map<String, String> unsupported() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("use_dora", "lorakit does not implement DoRA");
    m.put("use_qalora", "lorakit does not implement QALoRA");
    m.put("lora_bias", "lorakit does not train a bias in lora_B");
    m.put("megatron_config", "lorakit does not implement Megatron parallel layers");
    m.put("layer_replication", "lorakit does not replicate layers");
    m.put("trainable_token_indices", "lorakit does not train token embeddings");
    m.put("alora_invocation_tokens", "lorakit does not implement activated LoRA");
    m.put("loftq_config", "lorakit does not implement LoftQ");
    m.put("eva_config", "lorakit does not implement EVA initialisation");
    m.put("corda_config", "lorakit does not implement CorDA initialisation");
    m.put("arrow_config", "lorakit does not implement Arrow routing");
    m.put("kasa_config", "lorakit does not implement KaSA");
    m.put("lora_ga_config", "lorakit does not implement LoRA-GA");
    m.put("monteclora_config", "lorakit does not implement MonteCLoRA");
    m.put("velora_config", "lorakit does not implement VeLoRA");
    m.put("use_bdlora", "lorakit does not implement BD-LoRA");
    m.put("ensure_weight_tying", "lorakit does not tie adapter weights");
    return Collections.unmodifiableMap(m);
  }

  /** Whether a value means "option off": null, false, or empty. */
  private static boolean isOff(JsonNode v) {
    if (v == null || v.isNull()) {
      return true;
    }
    if (v.isBoolean()) {
      return !v.booleanValue();
    }
    if (v.isTextual()) {
      return v.textValue().isEmpty();
    }
    return v.isContainerNode() && v.isEmpty();
  }

  /**
   * Refuses the known options lorakit does not implement unless they are off. A field lorakit does
   * not know is kept and written back; it is refused only when it looks like an option switched on
   * (true, or a non-empty object, the way PEFT spells its feature switches and their settings),
   * since ignoring it could silently train or apply a different adapter than the file describes.
   */
  private static void refuseUnsupportedFields(ObjectNode json) {
    for (Map.Entry<String, JsonNode> e : json.properties()) {
      String field = e.getKey();
      JsonNode value = e.getValue();
      if (FIELDS.containsKey(field) || HARMLESS.contains(field) || isOff(value)) {
        continue;
      }
      String why = UNSUPPORTED.get(field);
      if (why == null) {
        if (!value.isBoolean() && !value.isObject()) {
          continue;
        }
        why = "lorakit does not know this option";
      }
      throw new LorakitInputException(field + " is " + value + "; " + why + ".");
    }
  }

  // ---- adapter_config.json
  // ------------------------------------------------------------------------------

  /** One modelled field: how it is read from JSON, taken from the record, and written. */
  private record Field(
      String name,
      Function<JsonNode, Object> read,
      Function<LoraConfig, Object> get,
      Function<Object, JsonNode> write) {}

  private static final Map<String, Field> FIELDS = fields();

  private static Map<String, Field> fields() {
    List<Field> list = new ArrayList<>();
    list.add(new Field("r", LoraConfig::readInt, LoraConfig::r, v -> IntNode.valueOf((Integer) v)));
    list.add(
        new Field(
            "lora_alpha", LoraConfig::readNumber, LoraConfig::loraAlpha, v -> number((Double) v)));
    list.add(
        new Field(
            "lora_dropout",
            LoraConfig::readNumber,
            LoraConfig::loraDropout,
            v -> DoubleNode.valueOf((Double) v)));
    list.add(
        new Field(
            "target_modules",
            LoraConfig::readTargets,
            LoraConfig::targetModules,
            v -> targetsJson((TargetModules) v)));
    list.add(
        new Field(
            "exclude_modules",
            LoraConfig::readTargets,
            LoraConfig::excludeModules,
            v -> targetsJson((TargetModules) v)));
    list.add(
        new Field(
            "use_rslora",
            LoraConfig::readBoolean,
            LoraConfig::useRslora,
            v -> BooleanNode.valueOf((Boolean) v)));
    list.add(new Field("bias", LoraConfig::readText, LoraConfig::bias, v -> text((String) v)));
    list.add(
        new Field(
            "layers_to_transform",
            LoraConfig::readLayers,
            LoraConfig::layersToTransform,
            v -> v == null ? NullNode.instance : array((List<?>) v)));
    list.add(
        new Field(
            "layers_pattern",
            LoraConfig::readStrings,
            LoraConfig::layersPattern,
            v -> v == null ? NullNode.instance : array((List<?>) v)));
    list.add(
        new Field(
            "rank_pattern",
            n -> readMap(n, LoraConfig::readInt),
            LoraConfig::rankPattern,
            v -> object((Map<?, ?>) v)));
    list.add(
        new Field(
            "alpha_pattern",
            n -> readMap(n, LoraConfig::readNumber),
            LoraConfig::alphaPattern,
            v -> object((Map<?, ?>) v)));
    list.add(
        new Field(
            "modules_to_save",
            LoraConfig::readStrings,
            LoraConfig::modulesToSave,
            v -> v == null ? NullNode.instance : array((List<?>) v)));
    list.add(
        new Field(
            "init_lora_weights",
            LoraConfig::readInit,
            LoraConfig::initLoraWeights,
            v ->
                switch ((InitLoraWeights) v) {
                  case DEFAULT -> BooleanNode.TRUE;
                  case RANDOM -> BooleanNode.FALSE;
                  case GAUSSIAN -> TextNode.valueOf("gaussian");
                }));
    list.add(
        new Field("task_type", LoraConfig::readText, LoraConfig::taskType, v -> text((String) v)));
    list.add(
        new Field(
            "base_model_name_or_path",
            LoraConfig::readText,
            LoraConfig::baseModelNameOrPath,
            v -> text((String) v)));
    list.add(
        new Field("peft_type", LoraConfig::readText, LoraConfig::peftType, v -> text((String) v)));
    list.add(
        new Field(
            "fan_in_fan_out",
            LoraConfig::readBoolean,
            LoraConfig::fanInFanOut,
            v -> BooleanNode.valueOf((Boolean) v)));
    list.add(
        new Field(
            "target_parameters",
            LoraConfig::readStrings,
            LoraConfig::targetParameters,
            v -> v == null ? NullNode.instance : array((List<?>) v)));
    list.add(
        new Field(
            "inference_mode",
            LoraConfig::readBoolean,
            LoraConfig::inferenceMode,
            v -> BooleanNode.valueOf((Boolean) v)));
    Map<String, Field> map = new LinkedHashMap<>();
    list.forEach(f -> map.put(f.name(), f));
    return Collections.unmodifiableMap(map);
  }

  /**
   * Reads a configuration from an {@code adapter_config.json} object. Missing fields take PEFT's
   * defaults.
   *
   * @throws LorakitInputException naming the field and value that lorakit cannot honour
   */
  public static LoraConfig fromJson(ObjectNode json) {
    Map<String, Object> v = new LinkedHashMap<>();
    for (Field f : FIELDS.values()) {
      JsonNode node = json.get(f.name());
      try {
        v.put(f.name(), node == null ? null : f.read().apply(node));
      } catch (IllegalArgumentException | LorakitInputException e) {
        throw new LorakitInputException(f.name() + " is " + node + "; " + e.getMessage(), e);
      }
    }
    @SuppressWarnings("unchecked")
    LoraConfig config =
        new LoraConfig(
            v.get("r") == null ? 8 : (Integer) v.get("r"),
            v.get("lora_alpha") == null ? 8 : (Double) v.get("lora_alpha"),
            v.get("lora_dropout") == null ? 0 : (Double) v.get("lora_dropout"),
            (TargetModules) v.get("target_modules"),
            (TargetModules) v.get("exclude_modules"),
            Boolean.TRUE.equals(v.get("use_rslora")),
            json.has("bias") ? (String) v.get("bias") : "none",
            (List<Integer>) v.get("layers_to_transform"),
            (List<String>) v.get("layers_pattern"),
            (Map<String, Integer>) v.get("rank_pattern"),
            (Map<String, Double>) v.get("alpha_pattern"),
            (List<String>) v.get("modules_to_save"),
            (InitLoraWeights) v.get("init_lora_weights"),
            (String) v.get("task_type"),
            (String) v.get("base_model_name_or_path"),
            json.has("peft_type") ? (String) v.get("peft_type") : "LORA",
            Boolean.TRUE.equals(v.get("fan_in_fan_out")),
            (List<String>) v.get("target_parameters"),
            Boolean.TRUE.equals(v.get("inference_mode")),
            json);
    return config;
  }

  /**
   * The {@code adapter_config.json} object: the object as read, with every modelled field whose
   * value changed (or that was absent) written from this record. Unchanged fields keep their
   * original spelling.
   */
  public ObjectNode toJson() {
    ObjectNode out = json.deepCopy();
    for (Field f : FIELDS.values()) {
      Object value = f.get().apply(this);
      JsonNode original = json.get(f.name());
      if (original != null && Objects.equals(readQuietly(f, original), value)) {
        continue;
      }
      out.set(f.name(), f.write().apply(value));
    }
    return out;
  }

  private static Object readQuietly(Field f, JsonNode node) {
    try {
      return f.read().apply(node);
    } catch (IllegalArgumentException | LorakitInputException e) {
      return e; // never equal to a value, so the field is rewritten
    }
  }

  /** The file's text as PEFT writes it: keys sorted, two-space indent, ASCII only. */
  public String toJsonText() {
    return PythonJson.dumps(toJson());
  }

  /**
   * Reads {@code adapter_config.json}.
   *
   * @throws IOException naming the file when it cannot be read, is not a JSON object, or holds a
   *     field value lorakit cannot honour (the message names the field and value)
   */
  public static LoraConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IOException(
          file + " is not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").", e);
    }
    if (!(root instanceof ObjectNode object)) {
      throw new IOException(file + " is not a JSON object.");
    }
    try {
      return fromJson(object);
    } catch (IllegalArgumentException | LorakitInputException | NullPointerException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code adapter_config.json} atomically. */
  public void write(Path file) throws IOException {
    try (AtomicFile out = AtomicFile.create(file)) {
      out.write(ByteBuffer.wrap(toJsonText().getBytes(StandardCharsets.UTF_8)));
      out.commit();
    }
  }

  // ---- JSON field readers (throw LorakitInputException naming the field)
  // -----------------------------

  private static Integer readInt(JsonNode n) {
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new LorakitInputException("expected an integer.");
    }
    return n.intValue();
  }

  private static Double readNumber(JsonNode n) {
    if (!n.isNumber()) {
      throw new LorakitInputException("expected a number.");
    }
    return n.doubleValue();
  }

  private static Boolean readBoolean(JsonNode n) {
    if (n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw new LorakitInputException("expected true or false.");
    }
    return n.booleanValue();
  }

  private static String readText(JsonNode n) {
    if (n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new LorakitInputException("expected a string.");
    }
    return n.textValue();
  }

  private static List<String> readStrings(JsonNode n) {
    if (n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return List.of(n.textValue());
    }
    List<String> out = new ArrayList<>();
    if (!n.isArray()) {
      throw new LorakitInputException("expected a string or a list of strings.");
    }
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new LorakitInputException("expected a list of strings.");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static List<Integer> readLayers(JsonNode n) {
    if (n.isNull()) {
      return null;
    }
    if (n.isIntegralNumber()) {
      return List.of(readInt(n));
    }
    if (!n.isArray()) {
      throw new LorakitInputException("expected a layer index or a list of them.");
    }
    List<Integer> out = new ArrayList<>();
    for (JsonNode e : n) {
      out.add(readInt(e));
    }
    return out;
  }

  private static TargetModules readTargets(JsonNode n) {
    if (n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.textValue().equals(TargetModules.ALL_LINEAR)
          ? new TargetModules.AllLinear()
          : new TargetModules.Regex(n.textValue());
    }
    return new TargetModules.Names(readStrings(n));
  }

  private static <V> Map<String, V> readMap(JsonNode n, Function<JsonNode, V> value) {
    Map<String, V> out = new LinkedHashMap<>();
    if (n.isNull()) {
      return out;
    }
    if (!n.isObject()) {
      throw new LorakitInputException("expected an object.");
    }
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      out.put(e.getKey(), value.apply(e.getValue()));
    }
    return out;
  }

  private static InitLoraWeights readInit(JsonNode n) {
    if (n.isBoolean()) {
      return n.booleanValue() ? InitLoraWeights.DEFAULT : InitLoraWeights.RANDOM;
    }
    if (n.isTextual() && n.textValue().equals("gaussian")) {
      return InitLoraWeights.GAUSSIAN;
    }
    throw new LorakitInputException("lorakit implements true, false and \"gaussian\" only.");
  }

  // ---- JSON field writers
  // -------------------------------------------------------------------------------

  private static JsonNode number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? LongNode.valueOf((long) v)
        : DoubleNode.valueOf(v);
  }

  private static JsonNode text(String s) {
    return s == null ? NullNode.instance : TextNode.valueOf(s);
  }

  private static JsonNode targetsJson(TargetModules t) {
    return switch (t) {
      case null -> NullNode.instance;
      case TargetModules.Names names -> array(names.names());
      case TargetModules.Regex regex -> TextNode.valueOf(regex.regex());
      case TargetModules.AllLinear all -> TextNode.valueOf(TargetModules.ALL_LINEAR);
    };
  }

  private static ArrayNode array(List<?> values) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    for (Object v : values) {
      a.add(v instanceof Integer i ? IntNode.valueOf(i) : TextNode.valueOf(String.valueOf(v)));
    }
    return a;
  }

  private static ObjectNode object(Map<?, ?> map) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    map.forEach(
        (k, v) ->
            o.set((String) k, v instanceof Integer i ? IntNode.valueOf(i) : number((Double) v)));
    return o;
  }
}
