package dev.lorakit.core.nn;

import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What one LoRA training step of a {@link Decoder} holds in backend memory, buffer by buffer as the
 * decoder and its {@link Activations} allocate them: the frozen weights (no gradient, no optimiser
 * state), the LoRA matrices with their gradients and AdamW moments, the activations the forward
 * saves for the backward (all layers, or one layer's plus every layer's input with checkpointing),
 * and the gradient scratch the backward reuses from layer to layer. The activation buffers are
 * allocated once per shape and reused every step, so this sum is also the peak, up to the backend's
 * transient per-op {@code workspace} (none on the CPU; see {@link #withWorkspace}).
 *
 * <p>Only the matrix-product inputs the forward saves (the normed inputs, q, k, v, the attention
 * output, gate, up and the SwiGLU output) and the LoRA dropout copies take the activation dtype;
 * the residual stream, the final norm, the attention residual {@code mid}, the LoRA {@code x A^T}
 * products, every gradient buffer and the loss blocks are float32 in both precisions (a bf16 step
 * accumulates in float32).
 *
 * @param weights frozen base weights
 * @param lora LoRA A and B, their gradients and the two AdamW moments
 * @param activations buffers saved by the forward for the backward
 * @param scratch gradient and workspace buffers of the backward, the loss blocks' logits and the
 *     RoPE tables
 * @param logits of {@code scratch}: the loss blocks' logits and their hidden-state rows
 * @param workspace the largest block the backend takes for the duration of one op on top of the
 *     buffers above
 */
public record TrainingMemory(
    long weights, long lora, long activations, long scratch, long logits, long workspace) {

  /** Everything together: the step's peak. */
  public long total() {
    return weights + lora + activations + scratch + workspace;
  }

  /** This plan on a backend whose ops take at most {@code bytes} of transient workspace each. */
  public TrainingMemory withWorkspace(long bytes) {
    return new TrainingMemory(weights, lora, activations, scratch, logits, bytes);
  }

  /**
   * The plan of a training step over {@code batch x seq} tokens.
   *
   * @param weightBytes bytes per frozen weight element (2 for bf16, 4 for f32); norms count as f32
   * @param activationBytes bytes per element of the saved matrix-product inputs (4 for fp32, 2 for
   *     bf16)
   * @param dropout whether LoRA dropout runs (training with {@code lora_dropout > 0}): it keeps a
   *     dropped copy of each distinct LoRA input width
   * @param lossChunkRows {@link Decoder#setLossChunkRows}; the counted positions are all {@code
   *     batch * seq}
   */
  public static TrainingMemory of(
      DecoderConfig c,
      LoraSpec lora,
      int batch,
      int seq,
      boolean checkpointing,
      int weightBytes,
      int activationBytes,
      boolean dropout,
      int lossChunkRows) {
    long n = (long) batch * seq;
    long h = c.hidden();
    long inter = c.intermediate();
    long f32 = 4;
    long act = activationBytes;
    long norms = (2L * c.layers() + 1) * h * f32;
    long weights = parameters(c) * weightBytes - norms / f32 * weightBytes + norms;

    long loraParams = lora == null ? 0 : lora.parameterCount();
    long loraBytes = loraParams * f32 * 4;

    // norm1, norm2, q, att, k, v, gate, up, act in the activation dtype; mid, the two rstd and lse
    // in f32.
    long perLayer =
        act * n * (2 * h + 2 * c.qWidth() + 2 * c.kvWidth() + 3 * inter)
            + f32 * n * (h + 2 + c.heads());
    long layersKept = checkpointing ? 1 : c.layers();
    long xa = 0;
    Map<String, Long> scratch = new HashMap<>();
    if (lora != null) {
      for (LoraSpec.Module m : lora.modules()) {
        xa += f32 * n * m.rank();
        scratch.put("dXa." + m.rank(), f32 * n * m.rank());
        if (dropout) {
          int in = m.target().in(c);
          scratch.put("dropout." + in, act * n * in);
          scratch.put("loraDx." + in, f32 * n * in);
        }
      }
    }
    if (lora != null && !dropout) {
      stackedLoraScratch(lora, n, scratch);
    }
    // The residual stream (embeddings and every layer's output), the saved layers, x A^T, the final
    // norm and rstd.
    long activations =
        f32 * n * h * (c.layers() + 1) + layersKept * perLayer + xa + f32 * n * h + f32 * n;

    scratch.put("dNorm", f32 * n * h);
    scratch.put("dRes", f32 * n * h);
    scratch.put("dAct", f32 * n * inter);
    scratch.put("dGate", f32 * n * inter);
    scratch.put("dUp", f32 * n * inter);
    scratch.put("dAtt", f32 * n * c.qWidth());
    scratch.put("dq", f32 * n * c.qWidth());
    scratch.put("dk", f32 * n * c.kvWidth());
    scratch.put("dv", f32 * n * c.kvWidth());
    if (checkpointing) {
      scratch.put("recomputed", f32 * n * h);
    }
    long logits = 0;
    for (long rows : lossBlockRows(n, lossChunkRows)) {
      logits += f32 * rows * (c.vocab() + h);
    }
    long rope = 2 * f32 * Math.max(seq, 64) * (c.headDim() / 2);
    long scratchBytes = scratch.values().stream().mapToLong(Long::longValue).sum() + logits + rope;
    return new TrainingMemory(weights, loraBytes, activations, scratchBytes, logits, 0);
  }

  /**
   * The distinct row counts of the loss blocks over {@code n} counted positions, as {@link Decoder}
   * sizes them: blocks of {@code lossChunkRows} (all at once when 0), rounded up to 64 rows but not
   * past the chunk.
   */
  public static SortedSet<Long> lossBlockRows(long n, int lossChunkRows) {
    SortedSet<Long> sizes = new TreeSet<>();
    long chunk = lossChunkRows > 0 ? lossChunkRows : Long.MAX_VALUE;
    for (long start = 0; start < n; ) {
      long m = Math.min(chunk, n - start);
      long rows = Math.max(64, (m + 63) / 64 * 64);
      if (lossChunkRows > 0) {
        rows = Math.min(rows, Math.max(m, lossChunkRows));
      }
      sizes.add(rows);
      start += m;
    }
    return sizes;
  }

  /**
   * The float32 buffers of the stacked LoRA paths ({@link Decoder#setStackedLora}): per group of
   * projections that read the same input (q, k, v; gate, up) with two or more wrapped, {@code x
   * A^T} and its gradient over the summed rank, and the stacked A matrices and their gradients.
   * Keys as the decoder names them, so equal shapes count once.
   */
  private static void stackedLoraScratch(LoraSpec lora, long n, Map<String, Long> scratch) {
    DecoderConfig c = lora.model();
    List<List<LoraTarget>> groups =
        List.of(
            List.of(LoraTarget.Q_PROJ, LoraTarget.K_PROJ, LoraTarget.V_PROJ),
            List.of(LoraTarget.GATE_PROJ, LoraTarget.UP_PROJ));
    for (int l = 0; l < c.layers(); l++) {
      for (List<LoraTarget> group : groups) {
        int rank = 0;
        int wrapped = 0;
        for (LoraSpec.Module m : lora.modules()) {
          if (m.layer() == l && group.contains(m.target())) {
            rank += m.rank();
            wrapped++;
          }
        }
        if (wrapped >= 2) {
          long in = c.hidden();
          scratch.put("xaStacked." + rank, 4 * n * rank);
          scratch.put("dXaStacked." + rank, 4 * n * rank);
          scratch.put("aStacked." + rank + "x" + in, 4 * rank * in);
          scratch.put("dAStacked." + rank + "x" + in, 4 * rank * in);
        }
      }
    }
  }

  /** Parameters of the base model, embeddings and output projection included (once when tied). */
  public static long parameters(DecoderConfig c) {
    long h = c.hidden();
    long perLayer = 2 * h + h * c.qWidth() * 2 + h * c.kvWidth() * 2 + 3 * h * c.intermediate();
    long embed = (long) c.vocab() * h;
    return embed + c.layers() * perLayer + h + (c.tiedEmbeddings() ? 0 : embed);
  }
}
