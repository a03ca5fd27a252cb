package dev.lorakit.core.nn;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * Random decoder weights for models that know nothing: the tiny demo model, test models and
 * benchmark shapes. Every value is a hash of (seed, tensor, element) ({@link #uniform}), so any
 * thread — or a GPU kernel doing the same arithmetic — computes any element alone, and the same
 * seed gives the same bytes on every machine.
 *
 * <p>A tensor's values are {@code offset + scale * (2u - 1)} for {@code u} uniform in [0, 1): a
 * matrix is uniform with mean 0 and its initialisation's standard deviation ({@code scale = std *
 * sqrt(3)}); a norm weight is {@code 1 + U(-spread, spread)}.
 *
 * @param seed the seed every value is drawn from
 * @param init the standard deviations and the norms' spread
 */
public record RandomWeights(long seed, Init init) {

  /**
   * How a model's tensors are initialised.
   *
   * @param embedding standard deviation of the embeddings
   * @param projection standard deviation of the projections and the output head; divided by the
   *     square root of the layer's input width when {@code perFanIn}
   * @param perFanIn whether {@code projection} is divided by the square root of the input width
   * @param normSpread norms are {@code 1 + U(-normSpread, normSpread)}
   */
  public record Init(double embedding, double projection, boolean perFanIn, double normSpread) {

    /**
     * As transformers initialises (std 0.02, its {@code initializer_range}), norms {@code 1 +
     * U(-0.1, 0.1)} so that a norm weight applied wrongly shows.
     */
    public static final Init TRANSFORMERS = new Init(0.02, 0.02, false, 0.1);

    /**
     * Activations keep their scale through the blocks: embeddings std 1, every projection std
     * {@code 1/sqrt(in)} (the output head {@code 1/sqrt(hidden)}, logits of unit scale after the
     * final norm), norms 1. What a benchmark computes on and what the tiny demo model learns on.
     */
    public static final Init SCALED = new Init(1, 1, true, 0);

    /**
     * Large values (projections std 0.3, embeddings 1, norms {@code 1 + U(-0.1, 0.1)}) so that
     * every term of a gradient check matters.
     */
    public static final Init LARGE = new Init(1, 0.3, false, 0.1);
  }

  /** Whether a tensor is an embedding table, a linear layer (or the head) or a norm weight. */
  public enum Kind {
    EMBEDDING,
    PROJECTION,
    NORM
  }

  /**
   * One tensor of a random model: its Hugging Face name, its stream (its place in the model's
   * order, which the hash takes), its shape and the affine map of the uniform draws.
   *
   * @param name the tensor's name in a model folder
   * @param seed the model's seed
   * @param stream the tensor's index in {@link #tensors}' order
   * @param kind embedding, projection or norm
   * @param rows rows (1 for a norm)
   * @param cols columns
   * @param offset the values' mean
   * @param scale half the width of the values' range
   */
  public record Draw(
      String name,
      long seed,
      long stream,
      Kind kind,
      int rows,
      int cols,
      double offset,
      double scale) {

    /** The tensor's element count. */
    public long count() {
      return (long) rows * cols;
    }

    /** {@code [cols]} for a norm, {@code [rows, cols]} otherwise. */
    public Shape tensorShape() {
      return kind == Kind.NORM ? Shape.of(cols) : Shape.of(rows, cols);
    }

    /** {@link #tensorShape} as a safetensors header gives it. */
    public long[] shape() {
      return Arrays.stream(tensorShape().dims()).asLongStream().toArray();
    }

    /** Element {@code i}. */
    public float value(long i) {
      return RandomWeights.value(seed, stream, i, offset, scale);
    }

    /** All elements, drawn in parallel. */
    public float[] values() {
      float[] v = new float[Math.toIntExact(count())];
      forEach((i, x) -> v[(int) i] = x);
      return v;
    }

    /**
     * Gives {@code sink} every element with its index, drawn in parallel (blocks of 65,536
     * elements), so that a caller stores them where and as it likes without a float copy.
     */
    public void forEach(Sink sink) {
      long n = count();
      LongStream.range(0, (n + BLOCK - 1) / BLOCK)
          .parallel()
          .forEach(
              b -> {
                for (long i = b * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
                  sink.accept(i, value(i));
                }
              });
    }

    /** Elements per parallel task: enough to outweigh a task's cost. */
    private static final int BLOCK = 65536;

    /** Where {@link #forEach} puts element {@code index}. */
    @FunctionalInterface
    public interface Sink {
      /** Takes element {@code index}, whose value is {@code value}. */
      void accept(long index, float value);
    }
  }

  /**
   * A uniform double in [0, 1) from (seed, stream, index): SplitMix64's finaliser over a mixed
   * counter. {@code init.cu} in the development tools does the same arithmetic on the GPU.
   */
  public static double uniform(long seed, long stream, long index) {
    long z =
        seed * 0x9E3779B97F4A7C15L
            + stream * 0xD1B54A32D192ED03L
            + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }

  /**
   * {@code offset + scale * (2u - 1)} with {@code u = uniform(seed, stream, index)}, in double
   * arithmetic without fused multiply-adds, rounded once to float.
   */
  public static float value(long seed, long stream, long index, double offset, double scale) {
    return (float) (offset + scale * (2 * uniform(seed, stream, index) - 1));
  }

  /**
   * The tensors of a decoder of shape {@code c}, in the order that numbers their streams: the
   * embeddings; per layer the input norm, q, k, v, o, the post-attention norm, gate, up, down; the
   * final norm; the output head unless tied (last, so that tying renumbers nothing).
   */
  public List<Draw> tensors(DecoderConfig c) {
    int h = c.hidden();
    List<Draw> w = new ArrayList<>();
    w.add(matrix(w, "model.embed_tokens.weight", Kind.EMBEDDING, c.vocab(), h));
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      w.add(norm(w, p + "input_layernorm.weight", h));
      w.add(matrix(w, p + "self_attn.q_proj.weight", Kind.PROJECTION, c.qWidth(), h));
      w.add(matrix(w, p + "self_attn.k_proj.weight", Kind.PROJECTION, c.kvWidth(), h));
      w.add(matrix(w, p + "self_attn.v_proj.weight", Kind.PROJECTION, c.kvWidth(), h));
      w.add(matrix(w, p + "self_attn.o_proj.weight", Kind.PROJECTION, h, c.qWidth()));
      w.add(norm(w, p + "post_attention_layernorm.weight", h));
      w.add(matrix(w, p + "mlp.gate_proj.weight", Kind.PROJECTION, c.intermediate(), h));
      w.add(matrix(w, p + "mlp.up_proj.weight", Kind.PROJECTION, c.intermediate(), h));
      w.add(matrix(w, p + "mlp.down_proj.weight", Kind.PROJECTION, h, c.intermediate()));
    }
    w.add(norm(w, "model.norm.weight", h));
    if (!c.tiedEmbeddings()) {
      w.add(matrix(w, "lm_head.weight", Kind.PROJECTION, c.vocab(), h));
    }
    return w;
  }

  private Draw matrix(List<Draw> before, String name, Kind kind, int rows, int cols) {
    double std =
        kind == Kind.EMBEDDING
            ? init.embedding
            : init.perFanIn ? init.projection / Math.sqrt(cols) : init.projection;
    return new Draw(name, seed, before.size(), kind, rows, cols, 0, std * Math.sqrt(3));
  }

  private Draw norm(List<Draw> before, String name, int n) {
    return new Draw(name, seed, before.size(), Kind.NORM, 1, n, 1, init.normSpread);
  }

  /**
   * The weights of a decoder of shape {@code c} on {@code backend}: matrices stored as {@code
   * matrices} (F32, or BF16 as frozen weights on a GPU), norms F32.
   */
  public DecoderWeights decoderWeights(DecoderConfig c, Backend backend, DType matrices) {
    return decoderWeights(
        c,
        draw ->
            backend.upload(
                draw.values(),
                draw.kind() == Kind.NORM ? DType.F32 : matrices,
                draw.tensorShape()));
  }

  /**
   * The weights of a decoder of shape {@code c}, each tensor made by {@code make} from its draw (of
   * shape {@link Draw#shape}): a backend that can draw on its device fills them there.
   */
  public DecoderWeights decoderWeights(DecoderConfig c, Function<Draw, Tensor> make) {
    List<Tensor> t = tensors(c).stream().map(make).toList();
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.layers(); l++) {
      int b = 1 + 9 * l;
      layers.add(
          new LayerWeights(
              t.get(b),
              t.get(b + 1),
              t.get(b + 2),
              t.get(b + 3),
              t.get(b + 4),
              t.get(b + 5),
              t.get(b + 6),
              t.get(b + 7),
              t.get(b + 8)));
    }
    int n = 1 + 9 * c.layers();
    Tensor embed = t.get(0);
    return new DecoderWeights(embed, layers, t.get(n), c.tiedEmbeddings() ? embed : t.get(n + 1));
  }
}
