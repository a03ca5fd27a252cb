package dev.lorakit.core.nn;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * The buffers of one forward (and backward) pass over {@code batch x seq} tokens: the residual
 * stream between layers, what each layer's backward needs, and gradient scratch. Allocated once per
 * shape and reused, so a training step in steady state allocates nothing on the backend.
 */
public final class Activations implements AutoCloseable {

  /** What one layer's backward reads. */
  static final class Layer {
    final Tensor norm1;
    final Tensor rstd1;
    final Tensor q;
    final Tensor k;
    final Tensor v;
    final Tensor att;
    final Tensor lse;
    final Tensor mid;
    final Tensor norm2;
    final Tensor rstd2;
    final Tensor gate;
    final Tensor up;
    final Tensor act;

    /**
     * {@code dtype} is the dtype of the matrix-product inputs and outputs; statistics and {@code
     * mid} are F32.
     */
    Layer(Backend backend, DecoderConfig c, int batch, int seq, DType dtype) {
      int n = batch * seq;
      norm1 = backend.zeros(dtype, Shape.of(n, c.hidden()));
      rstd1 = backend.zeros(DType.F32, Shape.of(n));
      q = backend.zeros(dtype, Shape.of(n, c.qWidth()));
      k = backend.zeros(dtype, Shape.of(n, c.kvWidth()));
      v = backend.zeros(dtype, Shape.of(n, c.kvWidth()));
      att = backend.zeros(dtype, Shape.of(n, c.qWidth()));
      lse = backend.zeros(DType.F32, Shape.of(batch, c.heads(), seq));
      mid = backend.zeros(DType.F32, Shape.of(n, c.hidden()));
      norm2 = backend.zeros(dtype, Shape.of(n, c.hidden()));
      rstd2 = backend.zeros(DType.F32, Shape.of(n));
      gate = backend.zeros(dtype, Shape.of(n, c.intermediate()));
      up = backend.zeros(dtype, Shape.of(n, c.intermediate()));
      act = backend.zeros(dtype, Shape.of(n, c.intermediate()));
    }

    void close() {
      for (Tensor t :
          new Tensor[] {norm1, rstd1, q, k, v, att, lse, mid, norm2, rstd2, gate, up, act}) {
        t.close();
      }
    }
  }

  private final Backend backend;
  final int batch;
  final int seq;
  final boolean checkpointing;

  /** {@code res[0]} the embeddings, {@code res[l+1]} the output of layer l. */
  final Tensor[] res;

  /** One per layer, or a single shared one that the backward refills when checkpointing. */
  final Layer[] layers;

  /**
   * {@code dropout(x) A^T} [batch*seq, rank] per layer and LoRA target (by ordinal), null where the
   * target is not wrapped. Kept for every layer even when checkpointing: they are small, and ranks
   * may differ per module.
   */
  final Tensor[][] xa;

  final Tensor finalNorm;
  final Tensor rstdFinal;

  /** Made on the first forward that needs it: a training step's forward skips the full logits. */
  private Tensor logits;

  private final int vocab;

  /**
   * Whether {@link #logits} holds the last forward's logits ({@code Decoder.forwardForLoss} skips
   * them).
   */
  boolean logitsFilled;

  private final Map<String, Tensor> scratch = new HashMap<>();

  /**
   * Buffers for {@code batch x seq} tokens; {@code act} is the dtype of the activations between
   * matrix products (F32, or BF16 for a bf16 decoder). The residual stream, the final norm and the
   * logits are always F32.
   */
  Activations(
      Backend backend,
      DecoderConfig c,
      int batch,
      int seq,
      LoraSpec lora,
      boolean checkpointing,
      DType act) {
    this.backend = backend;
    this.batch = batch;
    this.seq = seq;
    this.checkpointing = checkpointing;
    int n = batch * seq;
    res = new Tensor[c.layers() + 1];
    for (int i = 0; i < res.length; i++) {
      res[i] = backend.zeros(DType.F32, Shape.of(n, c.hidden()));
    }
    layers = new Layer[checkpointing ? 1 : c.layers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new Layer(backend, c, batch, seq, act);
    }
    xa = new Tensor[c.layers()][LoraTarget.values().length];
    if (lora != null) {
      for (LoraSpec.Module m : lora.modules()) {
        xa[m.layer()][m.target().ordinal()] = backend.zeros(DType.F32, Shape.of(n, m.rank()));
      }
    }
    finalNorm = backend.zeros(DType.F32, Shape.of(n, c.hidden()));
    rstdFinal = backend.zeros(DType.F32, Shape.of(n));
    vocab = c.vocab();
  }

  Layer layer(int l) {
    return layers[checkpointing ? 0 : l];
  }

  /** An F32 scratch buffer of this shape under this key, made on first use. */
  Tensor scratch(String key, int rows, int cols) {
    return scratch(key, rows, cols, DType.F32);
  }

  /** A scratch buffer of this shape and dtype under this key, made on first use. */
  Tensor scratch(String key, int rows, int cols, DType dtype) {
    Tensor t = scratch.get(key);
    if (t == null || t.shape().dim(0) != rows || t.shape().dim(1) != cols || t.dtype() != dtype) {
      if (t != null) {
        t.close();
      }
      t = backend.zeros(dtype, Shape.of(rows, cols));
      scratch.put(key, t);
    }
    return t;
  }

  /** Sequences in the batch. */
  public int batch() {
    return batch;
  }

  /** Tokens per sequence. */
  public int seq() {
    return seq;
  }

  /**
   * The logits {@code [batch*seq, vocab]} of the last forward (the loss's backward overwrites
   * them).
   */
  public Tensor logits() {
    if (logits == null) {
      logits = backend.zeros(DType.F32, Shape.of(batch * seq, vocab));
    }
    return logits;
  }

  /**
   * Hugging Face's {@code hidden_states[i]} {@code [batch*seq, hidden]}: 0 the embeddings, {@code
   * i} the output of layer {@code i-1}, and {@code layers} the final RMSNorm's output.
   */
  public Tensor hidden(int i) {
    return i == res.length - 1 ? finalNorm : res[i];
  }

  @Override
  public void close() {
    for (Tensor t : res) {
      t.close();
    }
    for (Layer l : layers) {
      l.close();
    }
    for (Tensor[] perLayer : xa) {
      for (Tensor t : perLayer) {
        if (t != null) {
          t.close();
        }
      }
    }
    finalNorm.close();
    rstdFinal.close();
    if (logits != null) {
      logits.close();
    }
    scratch.values().forEach(Tensor::close);
  }
}
