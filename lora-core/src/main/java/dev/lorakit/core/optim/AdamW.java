package dev.lorakit.core.optim;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (decoupled weight decay applied first, bias-corrected
 * moments, {@code eps} added outside the square root). The moments are float32 tensors on the
 * parameters' backend.
 */
public final class AdamW implements AutoCloseable {

  /**
   * The hyperparameters other than the learning rate, which a schedule supplies per step. The
   * defaults are torch's and transformers' {@code TrainingArguments}' ({@link #defaults()}, {@link
   * #builder()}).
   *
   * @param beta1 first-moment decay ({@value #DEFAULT_BETA1})
   * @param beta2 second-moment decay ({@value #DEFAULT_BETA2})
   * @param eps added to the root of the second moment ({@value #DEFAULT_EPS})
   * @param weightDecay decoupled decay factor ({@value #DEFAULT_WEIGHT_DECAY})
   */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {

    /** transformers' {@code adam_beta1}. */
    public static final double DEFAULT_BETA1 = 0.9;

    /** transformers' {@code adam_beta2}. */
    public static final double DEFAULT_BETA2 = 0.999;

    /** transformers' {@code adam_epsilon}. */
    public static final double DEFAULT_EPS = 1e-8;

    /**
     * transformers' {@code weight_decay} (torch's own AdamW default, 0.01, is not what a LoRA run
     * uses).
     */
    public static final double DEFAULT_WEIGHT_DECAY = 0.0;

    public Settings {
      if (!(beta1 >= 0 && beta1 < 1)
          || !(beta2 >= 0 && beta2 < 1)
          || !(eps >= 0)
          || !(weightDecay >= 0)) {
        throw new LorakitInputException(
            "AdamW needs 0 <= beta1, beta2 < 1 and eps, weight decay >= 0; got "
                + beta1
                + ", "
                + beta2
                + ", "
                + eps
                + ", "
                + weightDecay
                + ".");
      }
    }

    /** The defaults: betas 0.9 and 0.999, eps 1e-8, weight decay 0. */
    public static Settings defaults() {
      return builder().build();
    }

    /** A builder that starts from the {@linkplain #defaults() defaults}. */
    public static Builder builder() {
      return new Builder();
    }

    /** Builds {@link Settings}; every value starts at its default. */
    public static final class Builder {
      private double beta1 = DEFAULT_BETA1;
      private double beta2 = DEFAULT_BETA2;
      private double eps = DEFAULT_EPS;
      private double weightDecay = DEFAULT_WEIGHT_DECAY;

      private Builder() {}

      /** First-moment decay. */
      public Builder beta1(double beta1) {
        this.beta1 = beta1;
        return this;
      }

      /** Second-moment decay. */
      public Builder beta2(double beta2) {
        this.beta2 = beta2;
        return this;
      }

      /** Added to the root of the second moment. */
      public Builder eps(double eps) {
        this.eps = eps;
        return this;
      }

      /** Decoupled weight decay factor. */
      public Builder weightDecay(double weightDecay) {
        this.weightDecay = weightDecay;
        return this;
      }

      /** The settings; checked as the record's constructor checks them. */
      public Settings build() {
        return new Settings(beta1, beta2, eps, weightDecay);
      }
    }
  }

  /**
   * A parameter's moments.
   *
   * @param m first moment
   * @param v second moment
   */
  public record Moments(Tensor m, Tensor v) {}

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
      if (state.put(
              p.name(),
              new Moments(
                  backend.zeros(DType.F32, p.value().shape()),
                  backend.zeros(DType.F32, p.value().shape())))
          != null) {
        throw new IllegalArgumentException("Two parameters are both named \"" + p.name() + "\".");
      }
    }
  }

  /**
   * Applies one update with learning rate {@code lr} from the gradients now in the parameters'
   * buffers.
   */
  public void step(double lr) {
    step++;
    for (Parameter p : params) {
      Moments s = state.get(p.name());
      backend.adamW(
          p.value(),
          p.grad(),
          s.m(),
          s.v(),
          lr,
          settings.beta1(),
          settings.beta2(),
          settings.eps(),
          settings.weightDecay(),
          step);
    }
  }

  /** The number of updates applied so far. */
  public int stepCount() {
    return step;
  }

  /** Restores the update count (with {@link #moments} filled in, this resumes an optimizer). */
  public void setStepCount(int step) {
    if (step < 0) {
      throw new IllegalArgumentException(
          "The AdamW step count must not be negative, not " + step + ".");
    }
    this.step = step;
  }

  /** The hyperparameters. */
  public Settings settings() {
    return settings;
  }

  /**
   * The moments of every parameter, by name, in parameter order (live tensors: write to restore).
   */
  public Map<String, Moments> moments() {
    return Collections.unmodifiableMap(state);
  }

  @Override
  public void close() {
    for (Moments s : state.values()) {
      s.m().close();
      s.v().close();
    }
  }
}
