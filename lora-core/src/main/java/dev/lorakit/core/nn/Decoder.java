package dev.lorakit.core.nn;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A LLaMA/Mistral decoder with optional LoRA on its projections: an explicit forward and an
 * explicit backward, layer by layer, in the order of the math. The base weights are frozen: the
 * backward computes only the gradient of the activations through them, and the gradients of the
 * LoRA matrices.
 *
 * <pre>
 * ids -embed-> x -[ RMSNorm -> q,k,v -> RoPE -> attention -> o -> +x -> RMSNorm -> gate,up -> SiLU(gate)*up
 *                  -> down -> +x ] x layers -> RMSNorm -> lm_head -> logits
 * </pre>
 *
 * <p>The {@link Precision} is chosen when the decoder is built. In {@link Precision#BF16} the
 * weights are expected in {@link Precision#weights()} (norm weights float32) and, on a backend
 * whose {@link Backend#activations activations} are bf16 (a GPU), the activations that feed the
 * matrix products (the normed inputs, q, k, v, the attention output, gate, up and their product)
 * are bfloat16, while the residual stream, the final norm, the logits, the loss and every gradient
 * stay float32. On the CPU only the frozen weights are bf16. The model code is the same for all.
 *
 * <p>Not thread-safe: one pass at a time.
 */
public final class Decoder implements AutoCloseable {

  private final DecoderConfig config;
  private final DecoderWeights weights;
  private final Backend backend;
  private final Precision precision;
  private LoraWeights lora;
  private boolean merged;
  private boolean training;
  private boolean checkpointing;
  private long dropoutSeed;
  private int lossChunkRows;
  private boolean stackedLora = true;
  private Tensor ropeCos;
  private Tensor ropeSin;
  private final Map<String, Activations> buffers = new LinkedHashMap<>();

  /**
   * A float32 decoder over {@code weights}, computing on {@code backend} (the one that holds the
   * weights).
   */
  public Decoder(DecoderConfig config, DecoderWeights weights, Backend backend) {
    this(config, weights, backend, Precision.FP32);
  }

  /**
   * A decoder over {@code weights} computing in {@code precision} on {@code backend}.
   *
   * @throws LorakitInputException when the backend cannot compute in that precision
   */
  public Decoder(
      DecoderConfig config, DecoderWeights weights, Backend backend, Precision precision) {
    if (weights.layers().size() != config.layers()) {
      throw new IllegalArgumentException(
          "The weights have "
              + weights.layers().size()
              + " layers but the config says "
              + config.layers()
              + ".");
    }
    if (!backend.supports(precision)) {
      throw new LorakitInputException(
          "The "
              + backend.name()
              + " backend cannot compute in "
              + precision.label()
              + "; use fp32.");
    }
    this.config = config;
    this.weights = weights;
    this.backend = backend;
    this.precision = precision;
  }

  /** The precision it computes in. */
  public Precision precision() {
    return precision;
  }

  /** The dtype of the activations it saves between matrix products (and of a KV cache for it). */
  public DType activations() {
    return backend.activations(precision);
  }

  /** The shape of the model. */
  public DecoderConfig config() {
    return config;
  }

  /** The backend it runs on. */
  public Backend backend() {
    return backend;
  }

  /** The frozen base weights. */
  public DecoderWeights weights() {
    return weights;
  }

  /**
   * Wraps the projections the matrices' {@link dev.lorakit.core.lora.LoraSpec} lists, each with its
   * own rank and scale ({@code null}: none).
   */
  public void setLora(LoraWeights lora) {
    if (merged) {
      throw new IllegalStateException("Unmerge the current adapter before replacing it.");
    }
    if (lora != null && !lora.config().equals(config)) {
      throw new IllegalArgumentException(
          "The LoRA matrices were made for the model "
              + lora.config()
              + ", not for "
              + config
              + ".");
    }
    this.lora = lora;
    buffers.values().forEach(Activations::close);
    buffers.clear();
  }

  /** The LoRA matrices in use, or null. */
  public LoraWeights lora() {
    return lora;
  }

  /** Training mode applies LoRA dropout; evaluation mode (the default) does not. */
  public void setTraining(boolean training) {
    this.training = training;
  }

  /** Whether LoRA dropout is applied (see {@link #setTraining}). */
  public boolean isTraining() {
    return training;
  }

  /**
   * Activation checkpointing: the forward keeps only each layer's input and the backward recomputes
   * the layer before differentiating it. Same gradients, bit for bit; less memory, one more forward
   * of compute.
   */
  public void setCheckpointing(boolean checkpointing) {
    this.checkpointing = checkpointing;
  }

  /**
   * Computes a training step's loss over blocks of at most {@code rows} counted positions ({@code
   * 0}, the default: all at once): the output projection's logits, {@code [rows, vocab]}, then
   * exist for one block at a time, which over a 32000-token vocabulary is the largest buffer of a
   * step. Same loss and gradients, up to the order in which the blocks' losses are summed.
   */
  public void setLossChunkRows(int rows) {
    if (rows < 0) {
      throw new LorakitInputException(
          "The loss chunk must be 0 (no chunking) or a positive row count, not " + rows + ".");
    }
    this.lossChunkRows = rows;
  }

  /**
   * Whether projections that read the same input (q, k and v; gate and up) compute their LoRA
   * {@code x A^T} in one matrix product over the stacked A matrices, and {@code dA} and {@code dx}
   * through A in one product each (the default). Only without active dropout: dropout gives each
   * projection its own input. Same results up to the order of float additions; {@code false}
   * computes each projection on its own.
   */
  public void setStackedLora(boolean stacked) {
    this.stackedLora = stacked;
  }

  /**
   * The seed of the LoRA dropout masks of the next pass (set it per step, e.g. from the step
   * number).
   */
  public void setDropoutSeed(long seed) {
    this.dropoutSeed = seed;
  }

  // ---- forward
  // -----------------------------------------------------------------------------------------

  /**
   * Runs the model over {@code ids} ({@code batch} sequences of equal length, batch-major). The
   * returned buffers belong to the decoder and are reused by the next pass of the same shape.
   */
  public Activations forward(int[] ids, int batch) {
    Activations a = trunk(ids, batch);
    head(a);
    return a;
  }

  /**
   * The forward of a training step: like {@link #forward} but without the logits. {@link #backward}
   * then computes the output projection only at the positions whose target counts. With prompt
   * masking most positions do not count, and over a vocabulary of 32000 the output projection is
   * most of the work. {@link Activations#logits()} is not filled.
   */
  public Activations forwardForLoss(int[] ids, int batch) {
    Activations a = trunk(ids, batch);
    backend.rmsNorm(
        a.res[config.layers()], weights.norm(), (float) config.rmsEps(), a.finalNorm, a.rstdFinal);
    a.logitsFilled = false;
    return a;
  }

  private Activations trunk(int[] ids, int batch) {
    int seq = sequenceLength(ids, batch);
    checkTokens(ids, batch, 0);
    Activations a = buffersFor(batch, seq, checkpointing);
    ensureRope(seq);
    backend.embedding(weights.embed(), ids, a.res[0]);
    for (int l = 0; l < config.layers(); l++) {
      layerForward(a, l, a.res[l], a.res[l + 1], 0, null);
    }
    return a;
  }

  /**
   * Runs {@code ids} (the next {@code ids.length / batch} tokens of each sequence) at the positions
   * after those already in {@code cache}, adds their keys and values to it, and returns the logits
   * {@code [batch*n, vocab]}.
   */
  public Tensor forwardCached(int[] ids, int batch, KvCache cache) {
    Activations a = trunkCached(ids, batch, cache);
    head(a);
    return a.logits();
  }

  /**
   * Like {@link #forwardCached} but returns only the logits of each sequence's last new token
   * {@code [batch, vocab]}: what generation needs. A prompt of n tokens then costs one output
   * projection, not n.
   */
  public Tensor forwardCachedLast(int[] ids, int batch, KvCache cache) {
    Activations a = trunkCached(ids, batch, cache);
    backend.rmsNorm(
        a.res[config.layers()], weights.norm(), (float) config.rmsEps(), a.finalNorm, a.rstdFinal);
    int n = a.seq;
    int[] last = new int[batch];
    for (int b = 0; b < batch; b++) {
      last[b] = b * n + n - 1;
    }
    Tensor in = a.scratch("last.in", batch, config.hidden());
    backend.embedding(a.finalNorm, last, in);
    Tensor logits = a.scratch("last.logits", batch, config.vocab());
    backend.matmul(in, false, weights.lmHead(), true, logits, 1, 0);
    return logits;
  }

  private Activations trunkCached(int[] ids, int batch, KvCache cache) {
    int n = sequenceLength(ids, batch);
    if (cache.batch != batch) {
      throw new IllegalArgumentException(
          "The KV cache holds " + cache.batch + " sequences, not " + batch + ".");
    }
    int position = cache.length();
    checkTokens(ids, batch, position);
    if (position + n > cache.capacity) {
      throw new IllegalArgumentException(
          "The KV cache has room for "
              + cache.capacity
              + " positions; "
              + (position + n)
              + " are needed.");
    }
    Activations a = buffersFor(batch, n, false);
    ensureRope(position + n);
    backend.embedding(weights.embed(), ids, a.res[0]);
    for (int l = 0; l < config.layers(); l++) {
      layerForward(a, l, a.res[l], a.res[l + 1], position, cache);
    }
    cache.advance(n);
    return a;
  }

  private void head(Activations a) {
    backend.rmsNorm(
        a.res[config.layers()], weights.norm(), (float) config.rmsEps(), a.finalNorm, a.rstdFinal);
    backend.matmul(a.finalNorm, false, weights.lmHead(), true, a.logits(), 1, 0);
    a.logitsFilled = true;
  }

  private void layerForward(
      Activations a, int l, Tensor x, Tensor out, int position, KvCache cache) {
    LayerWeights w = weights.layers().get(l);
    Activations.Layer s = a.layer(l);
    float eps = (float) config.rmsEps();
    backend.rmsNorm(x, w.attnNorm(), eps, s.norm1, s.rstd1);
    linears(a, l, QKV, s.norm1, s.q, s.k, s.v);
    backend.rope(s.q, a.batch, config.heads(), ropeCos, ropeSin, position, false);
    backend.rope(s.k, a.batch, config.kvHeads(), ropeCos, ropeSin, position, false);
    if (cache == null) {
      backend.attention(
          s.q,
          s.k,
          s.v,
          s.att,
          s.lse,
          a.batch,
          config.heads(),
          config.kvHeads(),
          0,
          a.seq,
          config.slidingWindow());
    } else {
      backend.copyAt(s.k, cache.keys[l], a.batch, position);
      backend.copyAt(s.v, cache.values[l], a.batch, position);
      backend.attention(
          s.q,
          cache.keys[l],
          cache.values[l],
          s.att,
          null,
          a.batch,
          config.heads(),
          config.kvHeads(),
          position,
          position + a.seq,
          config.slidingWindow());
    }
    linear(a, l, LoraTarget.O_PROJ, w.o(), s.att, s.mid);
    backend.add(s.mid, x, s.mid);
    backend.rmsNorm(s.mid, w.mlpNorm(), eps, s.norm2, s.rstd2);
    linears(a, l, GATE_UP, s.norm2, s.gate, s.up);
    backend.swiglu(s.gate, s.up, s.act);
    linear(a, l, LoraTarget.DOWN_PROJ, w.down(), s.act, out);
    backend.add(out, s.mid, out);
  }

  /**
   * Projections of the same input, in the order {@link #linears} and {@link #linearsBackward} take
   * their outputs.
   */
  private static final LoraTarget[] QKV = {LoraTarget.Q_PROJ, LoraTarget.K_PROJ, LoraTarget.V_PROJ};

  private static final LoraTarget[] GATE_UP = {LoraTarget.GATE_PROJ, LoraTarget.UP_PROJ};

  /**
   * {@link #linear} for each of {@code targets}, which all read {@code x}, into {@code ys} (same
   * order). Where two or more are wrapped and no dropout is active, their LoRA paths share one
   * product {@code x [A1; A2; ...]^T} over the stacked A matrices; its column blocks are each
   * projection's {@code x A^T}.
   */
  private void linears(Activations a, int l, LoraTarget[] targets, Tensor x, Tensor... ys) {
    LoraWeights.Pair[] pairs = stackable(l, targets);
    if (pairs == null) {
      for (int i = 0; i < targets.length; i++) {
        linear(a, l, targets[i], targets[i].base(weights.layers().get(l)), x, ys[i]);
      }
      return;
    }
    for (int i = 0; i < targets.length; i++) {
      backend.matmul(x, false, targets[i].base(weights.layers().get(l)), true, ys[i], 1, 0);
    }
    int n = a.batch * a.seq;
    int rank = stackedRank(pairs);
    Tensor xa = a.scratch("xaStacked." + rank, n, rank);
    backend.matmul(x, false, stackedA(a, pairs, false), true, xa, 1, 0);
    int col = 0;
    for (int i = 0; i < targets.length; i++) {
      LoraWeights.Pair p = pairs[i];
      if (p != null) {
        Tensor own = a.xa[l][p.target().ordinal()];
        backend.copyColumns(xa, col, own, 0, n, p.module().rank());
        backend.matmul(own, false, p.b(), true, ys[i], p.scale(), 1);
        col += p.module().rank();
      }
    }
  }

  /**
   * The wrapped pairs of {@code targets} (null where one is not wrapped) when their LoRA paths can
   * be stacked: at least two wrapped, all reading the same input (no active dropout). Null
   * otherwise.
   */
  private LoraWeights.Pair[] stackable(int l, LoraTarget[] targets) {
    if (!stackedLora || lora == null || merged || (training && lora.spec().dropout() > 0)) {
      return null;
    }
    LoraWeights.Pair[] pairs = new LoraWeights.Pair[targets.length];
    int wrapped = 0;
    for (int i = 0; i < targets.length; i++) {
      pairs[i] = lora.get(l, targets[i]);
      wrapped += pairs[i] == null ? 0 : 1;
    }
    return wrapped >= 2 ? pairs : null;
  }

  private static int stackedRank(LoraWeights.Pair[] pairs) {
    int rank = 0;
    for (LoraWeights.Pair p : pairs) {
      rank += p == null ? 0 : p.module().rank();
    }
    return rank;
  }

  /**
   * {@code [A1; A2; ...]}, the A matrices (or, with {@code gradients}, their gradients) of {@code
   * pairs} stacked row-wise into a scratch buffer. The matrices change at every optimiser step, so
   * they are stacked per use: a copy of {@code rank x in} values, small beside the products.
   */
  private Tensor stackedA(Activations a, LoraWeights.Pair[] pairs, boolean gradients) {
    int in = -1;
    for (LoraWeights.Pair p : pairs) {
      in = p == null ? in : p.a().shape().dim(1);
    }
    int rank = stackedRank(pairs);
    Tensor stacked =
        a.scratch((gradients ? "dAStacked." : "aStacked.") + rank + "x" + in, rank, in);
    int row = 0;
    for (LoraWeights.Pair p : pairs) {
      if (p != null) {
        int r = p.module().rank();
        backend.copyColumns(gradients ? p.gradA() : p.a(), 0, stacked, row * in, 1, r * in);
        row += r;
      }
    }
    return stacked;
  }

  /**
   * {@code y = x W^T + scale * (dropout(x) A^T) B^T}; the LoRA term only where a target is wrapped
   * and not merged.
   */
  private void linear(Activations a, int l, LoraTarget target, Tensor w, Tensor x, Tensor y) {
    backend.matmul(x, false, w, true, y, 1, 0);
    LoraWeights.Pair p = activePair(l, target);
    if (p == null) {
      return;
    }
    Tensor xa = a.xa[l][target.ordinal()];
    backend.matmul(dropped(a, l, target, x), false, p.a(), true, xa, 1, 0);
    backend.matmul(xa, false, p.b(), true, y, p.scale(), 1);
  }

  private LoraWeights.Pair activePair(int l, LoraTarget target) {
    return lora == null || merged ? null : lora.get(l, target);
  }

  /**
   * The LoRA path's input: {@code x} itself, or its dropout (regenerated identically for the
   * backward).
   */
  private Tensor dropped(Activations a, int l, LoraTarget target, Tensor x) {
    float p = (float) lora.spec().dropout();
    if (!training || p == 0) {
      return x;
    }
    Tensor buf =
        a.scratch("dropout." + x.shape().dim(1), x.shape().dim(0), x.shape().dim(1), x.dtype());
    backend.dropout(x, buf, p, maskSeed(l, target));
    return buf;
  }

  private long maskSeed(int l, LoraTarget target) {
    return dropoutSeed * 0x9E3779B97F4A7C15L
        + (long) l * LoraTarget.values().length
        + target.ordinal();
  }

  // ---- backward
  // ----------------------------------------------------------------------------------------

  /**
   * The loss of the last {@link #forward} against {@code targets} (one per token, {@link
   * Backend#IGNORE_INDEX} to skip; already shifted, see {@link CausalLmLoss}) and its backward:
   * adds {@code gradScale * d(sum of token losses)} to the LoRA gradients. Returns the sum of the
   * token losses. The logits are overwritten.
   */
  public double backward(Activations a, int[] targets, float gradScale) {
    if (targets.length != a.batch * a.seq) {
      throw new IllegalArgumentException(
          targets.length + " targets for " + a.batch * a.seq + " tokens.");
    }
    int n = a.batch * a.seq;
    Tensor dNorm = a.scratch("dNorm", n, config.hidden());
    double loss;
    if (a.logitsFilled) {
      loss = backend.crossEntropy(a.logits(), targets, a.logits(), gradScale);
      backend.matmul(a.logits(), false, weights.lmHead(), false, dNorm, 1, 0);
    } else {
      loss = countedHeadBackward(a, targets, gradScale, dNorm);
    }
    Tensor dRes = a.scratch("dRes", n, config.hidden());
    backend.fill(dRes, 0f);
    backend.rmsNormBackward(dNorm, a.res[config.layers()], weights.norm(), a.rstdFinal, dRes, null);
    for (int l = config.layers() - 1; l >= 0; l--) {
      if (a.checkpointing) {
        layerForward(a, l, a.res[l], a.scratch("recomputed", n, config.hidden()), 0, null);
      }
      layerBackward(a, l, dRes);
    }
    return loss;
  }

  /**
   * The loss and the gradient at the final norm's output, projecting only the rows whose target
   * counts: they are gathered into compact blocks of at most {@link #setLossChunkRows} rows (one
   * block when 0; a block's row count is rounded up to 64 so that the buffers are reused from step
   * to step, the extra rows having ignored targets). Per block: logits, the fused loss and gradient
   * in place, the gradient through the output projection, scattered back; so only one block's
   * logits exist at a time.
   */
  private double countedHeadBackward(Activations a, int[] targets, float gradScale, Tensor dNorm) {
    int counted = CausalLmLoss.counted(targets);
    int[] all = new int[counted];
    int[] allTargets = new int[counted];
    for (int t = 0, m = 0; t < targets.length; t++) {
      if (targets[t] != Backend.IGNORE_INDEX) {
        all[m] = t;
        allTargets[m++] = targets[t];
      }
    }
    backend.fill(dNorm, 0f);
    int chunk = lossChunkRows > 0 ? lossChunkRows : Integer.MAX_VALUE;
    double loss = 0;
    int start = 0;
    do {
      int m = Math.min(chunk, counted - start);
      int rows = Math.max(64, (m + 63) / 64 * 64);
      if (lossChunkRows > 0) {
        rows = Math.min(rows, Math.max(m, lossChunkRows));
      }
      int[] index = new int[rows];
      int[] blockTargets = new int[rows];
      Arrays.fill(blockTargets, Backend.IGNORE_INDEX);
      System.arraycopy(all, start, index, 0, m);
      System.arraycopy(allTargets, start, blockTargets, 0, m);
      Tensor in = a.scratch("head.in." + rows, rows, config.hidden());
      backend.embedding(a.finalNorm, index, in);
      Tensor logits = a.scratch("head.logits." + rows, rows, config.vocab());
      backend.matmul(in, false, weights.lmHead(), true, logits, 1, 0);
      loss += backend.crossEntropy(logits, blockTargets, logits, gradScale);
      backend.matmul(logits, false, weights.lmHead(), false, in, 1, 0);
      // The padding rows carry a zero gradient (ignored targets), so scattering them to row 0 adds
      // nothing.
      backend.embeddingBackward(in, index, dNorm);
      start += m;
    } while (start < counted);
    return loss;
  }

  /** Turns {@code dRes}, the gradient at layer l's output, into the gradient at its input. */
  private void layerBackward(Activations a, int l, Tensor dRes) {
    LayerWeights w = weights.layers().get(l);
    Activations.Layer s = a.layer(l);
    int n = a.batch * a.seq;
    // out = mid + down(silu(gate) * up)
    Tensor dAct = zeroed(a, "dAct", n, config.intermediate());
    linearBackward(a, l, LoraTarget.DOWN_PROJ, w.down(), s.act, dRes, dAct);
    Tensor dGate = zeroed(a, "dGate", n, config.intermediate());
    Tensor dUp = zeroed(a, "dUp", n, config.intermediate());
    backend.swigluBackward(dAct, s.gate, s.up, dGate, dUp);
    Tensor dNorm = zeroed(a, "dNorm", n, config.hidden());
    linearsBackward(a, l, GATE_UP, s.norm2, dNorm, dGate, dUp);
    backend.rmsNormBackward(dNorm, s.mid, w.mlpNorm(), s.rstd2, dRes, null);
    // mid = x + o(attention(rope(q(norm1)), rope(k(norm1)), v(norm1)))
    Tensor dAtt = zeroed(a, "dAtt", n, config.qWidth());
    linearBackward(a, l, LoraTarget.O_PROJ, w.o(), s.att, dRes, dAtt);
    Tensor dq = zeroed(a, "dq", n, config.qWidth());
    Tensor dk = zeroed(a, "dk", n, config.kvWidth());
    Tensor dv = zeroed(a, "dv", n, config.kvWidth());
    backend.attentionBackward(
        dAtt,
        s.q,
        s.k,
        s.v,
        s.att,
        s.lse,
        dq,
        dk,
        dv,
        a.batch,
        config.heads(),
        config.kvHeads(),
        config.slidingWindow());
    backend.rope(dq, a.batch, config.heads(), ropeCos, ropeSin, 0, true);
    backend.rope(dk, a.batch, config.kvHeads(), ropeCos, ropeSin, 0, true);
    backend.fill(dNorm, 0f);
    linearsBackward(a, l, QKV, s.norm1, dNorm, dq, dk, dv);
    backend.rmsNormBackward(dNorm, a.res[l], w.attnNorm(), s.rstd1, dRes, null);
  }

  /**
   * Backward of {@link #linear}: {@code dx += dy W} (no gradient for the frozen W) and, through the
   * LoRA path, {@code dB += scale dy^T xa}, {@code dA += (scale dy B)^T dropout(x)}, {@code dx +=
   * dropout'((scale dy B) A)}.
   */
  private void linearBackward(
      Activations a, int l, LoraTarget target, Tensor w, Tensor x, Tensor dy, Tensor dx) {
    backend.matmul(dy, false, w, false, dx, 1, 1);
    LoraWeights.Pair p = activePair(l, target);
    if (p == null) {
      return;
    }
    int n = a.batch * a.seq;
    float scale = p.scale();
    backend.matmul(dy, true, a.xa[l][target.ordinal()], false, p.gradB(), scale, 1);
    Tensor dXa = a.scratch("dXa." + p.module().rank(), n, p.module().rank());
    backend.matmul(dy, false, p.b(), false, dXa, scale, 0);
    backend.matmul(dXa, true, dropped(a, l, target, x), false, p.gradA(), 1, 1);
    if (!training || lora.spec().dropout() == 0) {
      backend.matmul(dXa, false, p.a(), false, dx, 1, 1);
    } else {
      Tensor tmp = a.scratch("loraDx." + x.shape().dim(1), n, x.shape().dim(1));
      backend.matmul(dXa, false, p.a(), false, tmp, 1, 0);
      backend.dropout(tmp, tmp, (float) lora.spec().dropout(), maskSeed(l, target));
      backend.add(dx, tmp, dx);
    }
  }

  /**
   * Backward of {@link #linears}: {@link #linearBackward} for each of {@code targets} with its
   * output gradient in {@code dys}, all adding into {@code dx}. Stacked as the forward was: the
   * per-projection {@code dy B} products land in the column blocks of one {@code dXa [tokens, sum
   * of ranks]}, then {@code [dA1; dA2; ...] += dXa^T x} and {@code dx += dXa [A1; A2; ...]} are one
   * product each.
   */
  private void linearsBackward(
      Activations a, int l, LoraTarget[] targets, Tensor x, Tensor dx, Tensor... dys) {
    LoraWeights.Pair[] pairs = stackable(l, targets);
    if (pairs == null) {
      for (int i = 0; i < targets.length; i++) {
        linearBackward(a, l, targets[i], targets[i].base(weights.layers().get(l)), x, dys[i], dx);
      }
      return;
    }
    for (int i = 0; i < targets.length; i++) {
      backend.matmul(dys[i], false, targets[i].base(weights.layers().get(l)), false, dx, 1, 1);
    }
    int n = a.batch * a.seq;
    int rank = stackedRank(pairs);
    Tensor dXa = a.scratch("dXaStacked." + rank, n, rank);
    int col = 0;
    for (int i = 0; i < targets.length; i++) {
      LoraWeights.Pair p = pairs[i];
      if (p != null) {
        int r = p.module().rank();
        backend.matmul(dys[i], true, a.xa[l][p.target().ordinal()], false, p.gradB(), p.scale(), 1);
        Tensor own = a.scratch("dXa." + r, n, r);
        backend.matmul(dys[i], false, p.b(), false, own, p.scale(), 0);
        backend.copyColumns(own, 0, dXa, col, n, r);
        col += r;
      }
    }
    // The gradients accumulate (+=): stack them, add the product, and put them back.
    Tensor dA = stackedA(a, pairs, true);
    backend.matmul(dXa, true, x, false, dA, 1, 1);
    int in = dA.shape().dim(1);
    int row = 0;
    for (LoraWeights.Pair p : pairs) {
      if (p != null) {
        int r = p.module().rank();
        backend.copyColumns(dA, row * in, p.gradA(), 0, 1, r * in);
        row += r;
      }
    }
    backend.matmul(dXa, false, stackedA(a, pairs, false), false, dx, 1, 1);
  }

  private Tensor zeroed(Activations a, String key, int rows, int cols) {
    Tensor t = a.scratch(key, rows, cols);
    backend.fill(t, 0f);
    return t;
  }

  // ---- merge
  // -------------------------------------------------------------------------------------------

  /**
   * Folds the LoRA update into the base weights, {@code W += scale * B A}; the forward then skips
   * the LoRA path.
   */
  public void mergeLora() {
    if (lora == null || merged) {
      throw new IllegalStateException(
          lora == null ? "There is no adapter to merge." : "The adapter is already merged.");
    }
    fold(1);
    merged = true;
  }

  /** Undoes {@link #mergeLora}: {@code W -= scale * B A} (exact up to float rounding). */
  public void unmergeLora() {
    if (!merged) {
      throw new IllegalStateException("The adapter is not merged.");
    }
    fold(-1);
    merged = false;
  }

  /** Whether the adapter is folded into the base weights. */
  public boolean isMerged() {
    return merged;
  }

  private void fold(float sign) {
    for (LoraWeights.Pair p : lora.pairs()) {
      Tensor w = p.target().base(weights.layers().get(p.layer()));
      backend.matmul(p.b(), false, p.a(), false, w, sign * p.scale(), 1);
    }
  }

  // ---- helpers
  // -----------------------------------------------------------------------------------------

  private int sequenceLength(int[] ids, int batch) {
    if (batch < 1 || ids.length == 0 || ids.length % batch != 0) {
      throw new IllegalArgumentException(
          ids.length + " token ids do not split into " + batch + " equal sequences.");
    }
    return ids.length / batch;
  }

  /**
   * One sentence for the first token id outside the vocabulary, and for a sequence reaching past
   * {@code max_position_embeddings}; {@code position} is where the ids start in their sequences.
   */
  private void checkTokens(int[] ids, int batch, int position) {
    int seq = ids.length / batch;
    if (position + seq > config.maxPositions()) {
      throw new LorakitInputException(
          "A sequence of "
              + (position + seq)
              + " tokens is longer than the "
              + "model's max_position_embeddings of "
              + config.maxPositions()
              + ".");
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= config.vocab()) {
        String where =
            batch == 1
                ? "position " + (position + i)
                : "position " + (position + i % seq) + " of sequence " + i / seq;
        throw new LorakitInputException(
            "Token id "
                + ids[i]
                + " at "
                + where
                + " is outside the model's "
                + "vocabulary of "
                + config.vocab()
                + " tokens (ids 0 to "
                + (config.vocab() - 1)
                + ").");
      }
    }
  }

  private Activations buffersFor(int batch, int seq, boolean ckpt) {
    String key = batch + "x" + seq + (ckpt ? "c" : "");
    Activations a = buffers.remove(key);
    if (a == null) {
      a =
          new Activations(
              backend, config, batch, seq, lora == null ? null : lora.spec(), ckpt, activations());
    }
    buffers.put(key, a);
    // Keep the few most recent shapes (training, a prompt, one-token steps); free the rest.
    while (buffers.size() > 3) {
      String oldest = buffers.keySet().iterator().next();
      buffers.remove(oldest).close();
    }
    return a;
  }

  /**
   * Hugging Face's rotary tables, rounded as it computes them: inverse frequencies, angles and
   * their cosines in float32 ({@code inv_freq = 1 / theta^(2i/d)}, {@code angle = position *
   * inv_freq}).
   */
  private void ensureRope(int positions) {
    if (ropeCos != null && ropeCos.shape().dim(0) >= positions) {
      return;
    }
    int size = Math.max(positions, ropeCos == null ? 64 : 2 * ropeCos.shape().dim(0));
    int half = config.headDim() / 2;
    float[] cos = new float[size * half];
    float[] sin = new float[size * half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / config.headDim();
      float invFreq = (float) (1.0 / (float) Math.pow(config.ropeTheta(), exponent));
      for (int p = 0; p < size; p++) {
        float angle = p * invFreq;
        cos[p * half + i] = (float) Math.cos(angle);
        sin[p * half + i] = (float) Math.sin(angle);
      }
    }
    if (ropeCos != null) {
      ropeCos.close();
      ropeSin.close();
    }
    ropeCos = backend.upload(cos, DType.F32, Shape.of(size, half));
    ropeSin = backend.upload(sin, DType.F32, Shape.of(size, half));
  }

  /** Frees the pass buffers (the weights stay with their owner). */
  @Override
  public void close() {
    buffers.values().forEach(Activations::close);
    buffers.clear();
    if (ropeCos != null) {
      ropeCos.close();
      ropeSin.close();
    }
  }

  @Override
  public String toString() {
    return "Decoder"
        + config
        + " on "
        + backend.name()
        + (lora == null ? "" : " with " + lora.spec());
  }
}
