package dev.lorakit.models;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The decoder families lorakit implements, named by the {@code model_type} of their {@code
 * config.json}.
 */
public enum ModelType {
  /** LLaMA and LLaMA-2 ({@code LlamaForCausalLM}): full causal attention, optional GQA. */
  LLAMA("llama"),
  /**
   * Mistral ({@code MistralForCausalLM}): LLaMA's block with GQA and an optional sliding attention
   * window.
   */
  MISTRAL("mistral");

  private final String configName;

  ModelType(String configName) {
    this.configName = configName;
  }

  /** The value of {@code model_type} in {@code config.json}. */
  public String configName() {
    return configName;
  }

  /** The supported {@code model_type} values, for error messages: {@code "llama" and "mistral"}. */
  static String supportedNames() {
    return Arrays.stream(values())
        .map(t -> '"' + t.configName + '"')
        .collect(Collectors.joining(" and "));
  }

  /** The type whose {@code model_type} is {@code name}, or null. */
  static ModelType fromConfigName(String name) {
    for (ModelType t : values()) if (t.configName.equals(name)) return t;
    return null;
  }
}
