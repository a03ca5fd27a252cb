package dev.lorakit.core.lora;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which modules a LoRA config names, in PEFT's three spellings of {@code target_modules} (and
 * {@code exclude_modules}): a list of names, a regular expression, or {@code "all-linear"}.
 */
public sealed interface TargetModules {

  /** PEFT's shorthand for every linear layer except the output layer. */
  String ALL_LINEAR = "all-linear";

  /** Whether the module of that (dotted) name is named, by PEFT's rules for this spelling. */
  boolean matches(String moduleName);

  /**
   * A list of names: a module matches when its name equals an entry or ends with {@code "." +
   * entry} ({@code "q_proj"} matches {@code model.layers.0.self_attn.q_proj}).
   */
  record Names(List<String> names) implements TargetModules {
    public Names {
      names = List.copyOf(names);
    }

    @Override
    public boolean matches(String moduleName) {
      return names.contains(moduleName) || matchesBySuffix(moduleName);
    }

    /**
     * Whether the name matches an entry as a suffix only (PEFT then applies layers_to_transform).
     */
    boolean matchesBySuffix(String moduleName) {
      for (String name : names) {
        if (moduleName.endsWith("." + name)) {
          return true;
        }
      }
      return false;
    }
  }

  /** A regular expression that must match the whole module name. */
  record Regex(String regex) implements TargetModules {
    public Regex {
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "\"" + regex + "\" is not a valid regular expression (" + e.getDescription() + ").", e);
      }
    }

    @Override
    public boolean matches(String moduleName) {
      return Pattern.compile(regex).matcher(moduleName).matches();
    }
  }

  /** Every linear layer except the output projection ({@code lm_head}). */
  record AllLinear() implements TargetModules {
    @Override
    public boolean matches(String moduleName) {
      return !moduleName.equals("lm_head") && !moduleName.endsWith(".lm_head");
    }
  }

  /** A list of names. */
  static TargetModules names(String... names) {
    return new Names(List.of(names));
  }
}
