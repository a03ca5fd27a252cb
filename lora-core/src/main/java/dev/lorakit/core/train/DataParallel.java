package dev.lorakit.core.train;

import dev.lorakit.core.tensor.Tensor;
import java.util.List;

/**
 * One rank of data-parallel training: the collectives a {@link Trainer} needs to train the same
 * adapter on {@link #worldSize} devices, each holding the frozen model and the same LoRA matrices.
 * Every rank calls the same methods in the same order with tensors of the same shapes; the sums
 * must come out identical on every rank, so that the ranks take identical optimizer steps.
 * lora-cuda implements it over NCCL.
 */
public interface DataParallel {

  /**
   * This rank, 0 to {@code worldSize() - 1}; rank 0 writes the checkpoints and reports progress.
   */
  int rank();

  /** How many ranks train together. */
  int worldSize();

  /** Replaces each value by its sum over the ranks. */
  void sumScalars(double[] values);

  /** Replaces each float32 tensor by its element-wise sum over the ranks. */
  void sumGradients(List<Tensor> gradients);

  /** Makes each float32 tensor on every rank equal to rank 0's. */
  void broadcast(List<Tensor> tensors);
}
