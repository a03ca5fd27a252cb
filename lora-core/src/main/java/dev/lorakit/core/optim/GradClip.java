package dev.lorakit.core.optim;

import dev.lorakit.core.backend.Backend;
import java.util.List;

/** Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {

  private GradClip() {}

  /** The L2 norm of all gradients together (one read-back for all of them on a device backend). */
  public static double globalNorm(Backend backend, List<Parameter> params) {
    return Math.sqrt(backend.sumOfSquares(params.stream().map(Parameter::grad).toList()));
  }

  /**
   * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when that is below 1; returns the norm
   * before clipping (non-finite when a gradient is).
   */
  public static double clip(Backend backend, List<Parameter> params, double maxNorm) {
    double norm = globalNorm(backend, params);
    double coef = maxNorm / (norm + 1e-6);
    if (coef < 1 && Double.isFinite(norm)) {
      for (Parameter p : params) {
        backend.scale(p.grad(), (float) coef);
      }
    }
    return norm;
  }
}
