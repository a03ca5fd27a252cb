package dev.lorakit.core.lora;

import java.util.EnumSet;
import java.util.Set;

/**
 * What the engine needs of a LoRA configuration (PEFT's {@code LoraConfig} vocabulary): the update of a wrapped
 * linear layer is {@code y = W x + scale * B A dropout(x)}.
 *
 * @param r       the rank
 * @param alpha   {@code lora_alpha}
 * @param dropout {@code lora_dropout}, applied to the layer input of the LoRA path only
 * @param rsLora  {@code use_rslora}: scale {@code alpha / sqrt(r)} instead of {@code alpha / r}
 * @param targets the wrapped projections, in every layer
 */
public record LoraSpec(int r, double alpha, double dropout, boolean rsLora, Set<LoraTarget> targets) {

    public LoraSpec {
        if (r < 1) {
            throw new IllegalArgumentException("LoRA rank r must be at least 1, not " + r + ".");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), not " + dropout + ".");
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target module.");
        }
        targets = Set.copyOf(EnumSet.copyOf(targets));
    }

    /** The factor on {@code B A}: {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA. */
    public double scale() {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }
}
