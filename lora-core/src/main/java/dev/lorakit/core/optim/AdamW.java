package dev.lorakit.core.optim;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (decoupled weight decay applied first, bias-corrected moments,
 * {@code eps} added outside the square root). The moments are float32 tensors on the parameters' backend.
 */
public final class AdamW implements AutoCloseable {

    /**
     * The hyperparameters other than the learning rate, which a schedule supplies per step.
     *
     * @param beta1       first-moment decay (torch default 0.9)
     * @param beta2       second-moment decay (0.999)
     * @param eps         added to the root of the second moment (1e-8)
     * @param weightDecay decoupled decay factor (0.01)
     */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW needs 0 <= beta1, beta2 < 1 and eps, weight decay >= 0; got "
                        + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay + ".");
            }
        }

        /** torch's defaults: 0.9, 0.999, 1e-8, weight decay 0.01. */
        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8, 0.01);
        }
    }

    /**
     * A parameter's moments.
     *
     * @param m first moment
     * @param v second moment
     */
    public record Moments(Tensor m, Tensor v) {
    }

    private final Backend backend;
    private final List<Parameter> params;
    private final Settings settings;
    private final Map<String, Moments> state = new LinkedHashMap<>();
    private int step;

    /** An optimizer over {@code params}, with zero moments. */
    public AdamW(Backend backend, List<Parameter> params, Settings settings) {
        this.backend = backend;
        this.params = List.copyOf(params);
        this.settings = settings;
        for (Parameter p : this.params) {
            if (state.put(p.name(), new Moments(backend.zeros(DType.F32, p.value().shape()),
                    backend.zeros(DType.F32, p.value().shape()))) != null) {
                throw new IllegalArgumentException("Two parameters are both named \"" + p.name() + "\".");
            }
        }
    }

    /** Applies one update with learning rate {@code lr} from the gradients now in the parameters' buffers. */
    public void step(double lr) {
        step++;
        for (Parameter p : params) {
            Moments s = state.get(p.name());
            backend.adamW(p.value(), p.grad(), s.m(), s.v(), lr, settings.beta1(), settings.beta2(), settings.eps(),
                    settings.weightDecay(), step);
        }
    }

    /** The number of updates applied so far. */
    public int stepCount() {
        return step;
    }

    /** Restores the update count (with {@link #moments} filled in, this resumes an optimizer). */
    public void setStepCount(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("The AdamW step count must not be negative, not " + step + ".");
        }
        this.step = step;
    }

    /** The hyperparameters. */
    public Settings settings() {
        return settings;
    }

    /** The moments of every parameter, by name, in parameter order (live tensors: write to restore). */
    public Map<String, Moments> moments() {
        return java.util.Collections.unmodifiableMap(state);
    }

    @Override
    public void close() {
        for (Moments s : state.values()) {
            s.m().close();
            s.v().close();
        }
    }
}
