package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Everything a LLaMA/Mistral decoder needs to run forward, backward and AdamW, and nothing more.
 * The model code is written once against this interface; a backend owns tensor storage and does the
 * arithmetic.
 *
 * <p>Conventions, the same for every op:
 *
 * <ul>
 *   <li>Tensors are dense and row-major. Activations are matrices {@code [tokens, features]} where
 *       {@code tokens = batch * seq} in batch-major order; a rank-3 {@code [batch, seq, features]}
 *       tensor with the same number of elements is accepted wherever such a matrix is.
 *   <li>Compute ops take and produce {@link DType#F32} tensors unless said otherwise; {@link #copy}
 *       converts. A backend that {@link #supports supports} {@link Precision#BF16} also accepts
 *       {@link DType#BF16} where the bf16 decoder puts it (see {@link #supports}).
 *   <li>A {@code ...Backward} op <b>adds</b> into its gradient outputs ({@code +=}), so gradients
 *       of a tensor used twice simply sum; callers zero gradient buffers before a step.
 *   <li>Token ids and labels are small host arrays ({@code int[]}), passed by value.
 *   <li>A backend is used by one thread at a time; it may use many threads inside an op. Results
 *       are deterministic: the same inputs give bit-identical outputs.
 * </ul>
 */
public interface Backend extends AutoCloseable {

  /** Label value that the loss skips (PyTorch's {@code ignore_index}). */
  int IGNORE_INDEX = -100;

  /** A short description, e.g. {@code "cpu (16 threads, 512-bit vectors)"}. */
  String name();

  /**
   * Whether a decoder may compute in {@code precision} here. Every backend supports {@link
   * Precision#FP32}. A backend that supports {@link Precision#BF16} accepts, besides the F32 of
   * every op: BF16 operands in {@link #matmul} (an F32 operand beside a BF16 one, or F32 operands
   * with a BF16 output, are rounded to BF16; products accumulate in F32 and the output may be F32
   * or BF16); a BF16 table in {@link #embedding}; BF16 {@code x} or {@code out} in {@link
   * #rmsNorm}; BF16 {@code x} in {@link #rope}; BF16 {@code q, k, v, out} in {@link #attention} and
   * {@link #attentionBackward} (F32 gradients); BF16 {@code gate, up, out} in {@link #swiglu} and
   * BF16 {@code gate, up} in {@link #swigluBackward}; BF16 {@code x, out} in {@link #dropout}; BF16
   * in {@link #copyAt} (both the same dtype). Reductions and statistics stay F32 or wider. A
   * backend whose {@link #activations activations} in bf16 stay F32 (the CPU) needs less: BF16
   * weights as the {@code b} operand of {@link #matmul} beside an F32 {@code a} and {@code c} (the
   * F32 operand is not rounded) and a BF16 table in {@link #embedding}.
   */
  default boolean supports(Precision precision) {
    return precision == Precision.FP32;
  }

  /**
   * The dtype a decoder computing in {@code precision} keeps its activations in here: by default
   * {@link Precision#activations()}. The CPU keeps them F32 in every precision (bf16 there means
   * bf16 frozen weights widened inside the products), because its arithmetic is float32 anyway and
   * rounding the activations would only lose accuracy.
   */
  default DType activations(Precision precision) {
    return precision.activations();
  }

  /**
   * A frozen (read-only) tensor of {@code dtype} holding the little-endian elements in {@code
   * bytes}, such as a weight read from a memory-mapped checkpoint. A backend may keep {@code bytes}
   * as the tensor's storage instead of copying it (the CPU does for BF16, so a bf16 checkpoint's
   * weights cost no heap), so they must stay valid and unchanged while the tensor is in use, and
   * readable from any thread (a shared arena's, as a mapped file's are). By default the values are
   * widened and {@link #upload uploaded}.
   */
  default Tensor frozen(MemorySegment bytes, DType dtype, Shape shape) {
    if (bytes.byteSize() != shape.size() * dtype.bytes()) {
      throw new IllegalArgumentException(
          bytes.byteSize() + " bytes do not hold a " + dtype + " " + shape + " tensor.");
    }
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          switch (dtype) {
            case F32 ->
                bytes.getAtIndex(
                    ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
            case BF16 -> HalfPrecision.bf16ToFloat(half(bytes, i));
            case F16 -> HalfPrecision.f16ToFloat(half(bytes, i));
          };
    }
    return upload(values, dtype, shape);
  }

  /** Element {@code i} of little-endian 16-bit values at any alignment. */
  private static short half(MemorySegment bytes, long i) {
    return bytes.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
  }

  // ---- memory
  // ------------------------------------------------------------------------------------------

  /** A new tensor filled with zeros. */
  Tensor zeros(DType dtype, Shape shape);

  /** A new tensor holding {@code data} (row-major), rounded to {@code dtype}. */
  Tensor upload(float[] data, DType dtype, Shape shape);

  /** The elements of {@code t}, widened to float. */
  float[] download(Tensor t);

  /** {@code dst = src} element by element, converting between dtypes; the sizes must match. */
  void copy(Tensor src, Tensor dst);

  /**
   * Copies {@code src [batch, n, features]} into {@code dst [batch, capacity, features]} at
   * sequence positions {@code position .. position+n-1} of every batch row (how a KV cache grows).
   */
  void copyAt(Tensor src, Tensor dst, int batch, int position);

  /**
   * Copies a block of columns between two matrices with the same number of rows: {@code dst[i,
   * dstCol + j] = src[i, srcCol + j]} for {@code i < rows}, {@code j < cols}, where {@code src} is
   * read as {@code [rows, src.size() / rows]} and {@code dst} as {@code [rows, dst.size() / rows]}
   * whatever their shapes, both of the same dtype. With {@code rows == 1} it copies a contiguous
   * range (e.g. a matrix into a block of rows of a taller one). How the decoder stacks the LoRA
   * matrices of projections that read the same input.
   */
  void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols);

  /** Sets every element of {@code t} to {@code value}. */
  void fill(Tensor t, float value);

  // ---- elementwise and reductions
  // ----------------------------------------------------------------------

  /** {@code out = a + b} (the residual connection); {@code out} may be {@code a} or {@code b}. */
  void add(Tensor a, Tensor b, Tensor out);

  /** {@code y += alpha * x}. */
  void addScaled(Tensor x, float alpha, Tensor y);

  /** {@code x *= s}. */
  void scale(Tensor x, float s);

  /** The sum of the squares of the elements, accumulated in double (for gradient norms). */
  double sumOfSquares(Tensor x);

  /**
   * The sum of the squares of every element of every tensor, accumulated in double: {@link
   * #sumOfSquares(Tensor)} of each, added in order. A device backend reads the result back once for
   * the whole list (a gradient norm over hundreds of LoRA matrices), so this is the call for many
   * tensors.
   */
  default double sumOfSquares(List<Tensor> xs) {
    double sum = 0;
    for (Tensor x : xs) {
      sum += sumOfSquares(x);
    }
    return sum;
  }

  /** {@code true} when every element is finite. */
  boolean allFinite(Tensor x);

  /**
   * Inverted dropout: {@code out = x * keep / (1-p)}, where {@code keep} is a mask drawn from
   * {@code seed} and the element index only. The same seed gives the same mask, so the backward is
   * the same call on the gradient. {@code p == 0} copies. {@code out} may be {@code x}.
   */
  void dropout(Tensor x, Tensor out, float p, long seed);

  // ---- linear algebra
  // ----------------------------------------------------------------------------------

  /**
   * General matrix product {@code c = alpha * op(a) op(b) + beta * c}, where {@code op(x)} is
   * {@code x} or its transpose. {@code c} is {@code [batch..., M, N]}; {@code a} is {@code
   * [batch..., M, K]} ({@code [batch..., K, M]} when {@code transA}); {@code b} is {@code
   * [batch..., K, N]} ({@code [batch..., N, K]} when {@code transB}). Either operand may instead be
   * one matrix shared by every batch. A linear layer {@code y = x W^T} with {@code W [out, in]} is
   * {@code matmul(x, false, W, true, y, 1, 0)}. With {@code beta == 0}, {@code c}'s old contents
   * are ignored (even NaN).
   */
  void matmul(
      Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta);

  // ---- decoder ops
  // -------------------------------------------------------------------------------------

  /**
   * {@code out[t] = table[ids[t]]}: {@code table [vocab, hidden]}, {@code out [ids.length,
   * hidden]}.
   */
  void embedding(Tensor table, int[] ids, Tensor out);

  /** {@code dTable[ids[t]] += dOut[t]} (rows of repeated ids sum). */
  void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable);

  /**
   * RMSNorm over the last dimension: {@code out = weight * x / sqrt(mean(x^2) + eps)}, the mean
   * square taken in double. {@code rstd [rows]} receives {@code 1/sqrt(mean(x^2)+eps)} for the
   * backward; it may be null.
   */
  void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd);

  /**
   * Backward of {@link #rmsNorm}: {@code dx += ...}; {@code dWeight += ...} unless it is null
   * (frozen).
   */
  void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight);

  /**
   * Rotary position embedding in place on {@code x [batch * seq, heads * headDim]}, Hugging Face's
   * {@code rotate_half} layout: within a head, element {@code i} pairs with {@code i + headDim/2}.
   * Token {@code t} of a sequence sits at position {@code position + t}; {@code cos}/{@code sin}
   * are {@code [maxPositions, headDim/2]} tables. {@code inverse} rotates the other way, which is
   * the backward (a rotation's transpose is its inverse).
   */
  void rope(Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse);

  /**
   * Scaled dot-product attention with grouped-query heads, a causal mask and an optional sliding
   * window. {@code q [batch * n, heads * d]}; {@code k, v [batch * capacity, kvHeads * d]} of which
   * the first {@code kvLength} positions per batch row are valid; {@code out} like {@code q}. Query
   * {@code t} sits at position {@code position + t} and sees key {@code j} iff {@code j <= position
   * + t} and, when {@code window > 0}, {@code position + t - window < j}. Query head {@code h}
   * reads kv head {@code h / (heads / kvHeads)}. The scale is {@code 1/sqrt(d)}. {@code lse [batch,
   * heads, n]} receives each row's log-sum-exp of the scaled scores for the backward; it may be
   * null.
   */
  void attention(
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      int batch,
      int heads,
      int kvHeads,
      int position,
      int kvLength,
      int window);

  /**
   * Backward of {@link #attention} for a whole sequence ({@code position 0}, {@code kvLength == n
   * == capacity}): {@code dq, dk, dv += ...}, recomputing the probabilities from {@code lse}.
   */
  void attentionBackward(
      Tensor dOut,
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      Tensor dq,
      Tensor dk,
      Tensor dv,
      int batch,
      int heads,
      int kvHeads,
      int window);

  /**
   * {@code out = silu(gate) * up} with {@code silu(g) = g * sigmoid(g)}; {@code out} may alias an
   * input.
   */
  void swiglu(Tensor gate, Tensor up, Tensor out);

  /** Backward of {@link #swiglu}: {@code dGate += ...}, {@code dUp += ...}. */
  void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp);

  /**
   * Softmax cross-entropy of {@code logits [rows, vocab]} against {@code targets[rows]}, skipping
   * rows whose target is {@link #IGNORE_INDEX}. Returns the <b>sum</b> of the per-row losses
   * (double). When {@code dLogits} is not null it is <b>overwritten</b> with {@code gradScale *
   * (softmax - onehot)} (zero rows for skipped targets). {@code dLogits} may be {@code logits}.
   */
  double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale);

  /**
   * One AdamW step in place, exactly as {@code torch.optim.AdamW}: {@code p -= lr*wd*p}; {@code m =
   * b1*m + (1-b1)*g}; {@code v = b2*v + (1-b2)*g^2}; {@code p -= lr/(1-b1^t) * m /
   * (sqrt(v/(1-b2^t)) + eps)}. {@code step} counts from 1. Hyperparameters are doubles, as in
   * Python, so bias corrections are exact.
   */
  void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      int step);

  /** Releases threads and memory; tensors made by this backend are invalid afterwards. */
  @Override
  void close();
}
