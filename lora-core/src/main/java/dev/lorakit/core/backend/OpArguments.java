package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;

/**
 * The argument checks of the {@link Backend} ops, one per op, which every backend calls before it
 * computes: so each backend accepts the same arguments and names a wrong one in the same words.
 * They check shapes, dtypes and ranges (not which backend made a tensor: that is each backend's own
 * check). Dtypes: an argument the op takes as F32 must be F32; an activation (the values the
 * decoder computes in its precision) is F32, or BF16 on a backend whose bf16 decoder keeps
 * activations in bf16 ({@link Backend#activations}).
 */
public final class OpArguments {

  private OpArguments() {}

  // ---- dtypes and sizes
  // --------------------------------------------------------------------------------

  /** {@code t}, the op's {@code what}, is F32 (null passes: an optional argument left out). */
  public static void f32(String op, String what, Tensor t) {
    if (t != null && t.dtype() != DType.F32) {
      throw new IllegalArgumentException(
          op
              + " needs an F32 "
              + what
              + ", not "
              + t.dtype()
              + " "
              + t.shape()
              + "; convert it with copy().");
    }
  }

  /**
   * {@code t} is an activation {@code backend} computes on: F32, or BF16 where its bf16 activations
   * are BF16.
   */
  public static void activation(Backend backend, String op, String what, Tensor t) {
    boolean bf16 = backend.activations(Precision.BF16) == DType.BF16;
    if (t.dtype() == DType.F32 || (bf16 && t.dtype() == DType.BF16)) {
      return;
    }
    throw new IllegalArgumentException(
        op
            + " needs an "
            + (bf16 ? "F32 or BF16 " : "F32 ")
            + what
            + ", not "
            + t.dtype()
            + " "
            + t.shape()
            + "; convert it with copy().");
  }

  /** Every one of {@code others} has {@code first}'s dtype. */
  public static void sameDType(String op, Tensor first, Tensor... others) {
    for (Tensor o : others) {
      if (o.dtype() != first.dtype()) {
        throw new IllegalArgumentException(
            op
                + ": mixed dtypes "
                + first.dtype()
                + " and "
                + o.dtype()
                + " where one dtype is expected.");
      }
    }
  }

  /** {@code a} and {@code b} have as many elements. */
  public static void sameSize(String op, Tensor a, Tensor b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(
          op + ": sizes differ: " + a.shape() + " and " + b.shape() + ".");
    }
  }

  private static int cols(Tensor t) {
    return t.shape().dim(-1);
  }

  // ---- memory
  // ------------------------------------------------------------------------------------------

  /** {@link Backend#upload}: the values fill the shape. */
  public static void upload(float[] data, Shape shape) {
    if (data.length != shape.size()) {
      throw new IllegalArgumentException(
          "upload: " + data.length + " values do not fill a " + shape + " tensor.");
    }
  }

  /** {@link Backend#copy}: as many elements (any dtypes). */
  public static void copy(Tensor src, Tensor dst) {
    sameSize("copy", src, dst);
  }

  /**
   * {@link Backend#copyAt}: one dtype, one width, and the source's rows fit the destination at the
   * position.
   */
  public static void copyAt(Tensor src, Tensor dst, int batch, int position) {
    int c = cols(src);
    boolean fits =
        batch > 0
            && c > 0
            && cols(dst) == c
            && src.dtype() == dst.dtype()
            && position >= 0
            && src.size() % ((long) c * batch) == 0
            && dst.size() % ((long) c * batch) == 0
            && position + src.size() / c / batch <= dst.size() / c / batch;
    if (!fits) {
      throw new IllegalArgumentException(
          "copyAt: cannot place "
              + src.shape()
              + " "
              + src.dtype()
              + " at position "
              + position
              + " of "
              + dst.shape()
              + " "
              + dst.dtype()
              + " (batch "
              + batch
              + ").");
    }
  }

  /**
   * {@link Backend#copyColumns}: same dtype, rows dividing both sizes, the column blocks inside
   * both widths. Returns the source's width.
   */
  public static long copyColumns(
      Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
    boolean fits =
        src.dtype() == dst.dtype()
            && rows > 0
            && cols >= 0
            && srcCol >= 0
            && dstCol >= 0
            && src.size() % rows == 0
            && dst.size() % rows == 0
            && srcCol + (long) cols <= src.size() / rows
            && dstCol + (long) cols <= dst.size() / rows;
    if (!fits) {
      throw new IllegalArgumentException(
          "copyColumns: cannot copy "
              + cols
              + " columns from column "
              + srcCol
              + " of "
              + src.shape()
              + " "
              + src.dtype()
              + " to column "
              + dstCol
              + " of "
              + dst.shape()
              + " "
              + dst.dtype()
              + " as "
              + rows
              + " rows.");
    }
    return src.size() / rows;
  }

  // ---- elementwise and reductions
  // ----------------------------------------------------------------------

  /** {@link Backend#add}: F32, one size. */
  public static void add(Tensor a, Tensor b, Tensor out) {
    f32("add", "a", a);
    f32("add", "b", b);
    f32("add", "out", out);
    sameSize("add", a, b);
    sameSize("add", a, out);
  }

  /** {@link Backend#addScaled}: F32, one size. */
  public static void addScaled(Tensor x, Tensor y) {
    f32("addScaled", "x", x);
    f32("addScaled", "y", y);
    sameSize("addScaled", x, y);
  }

  /** {@link Backend#scale}: F32. */
  public static void scale(Tensor x) {
    f32("scale", "x", x);
  }

  /** {@link Backend#sumOfSquares}: F32. */
  public static void sumOfSquares(Tensor x) {
    f32("sumOfSquares", "x", x);
  }

  /** {@link Backend#allFinite}: F32. */
  public static void allFinite(Tensor x) {
    f32("allFinite", "x", x);
  }

  /** {@link Backend#dropout}: activations of one dtype and size, a probability in [0, 1). */
  public static void dropout(Backend backend, Tensor x, Tensor out, float p) {
    activation(backend, "dropout", "x", x);
    activation(backend, "dropout", "out", out);
    sameDType("dropout", x, out);
    sameSize("dropout", x, out);
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(
          "dropout: the probability must be in [0, 1), not " + p + ".");
    }
  }

  // ---- linear algebra
  // ----------------------------------------------------------------------------------

  /**
   * The sizes of one checked {@link Backend#matmul}: {@code batch} products of {@code [m, k]} by
   * {@code [k, n]}; an operand that is {@code shared} is one matrix used by every product.
   */
  public record MatmulSizes(int batch, int m, int n, int k, boolean aShared, boolean bShared) {}

  /**
   * {@link Backend#matmul}: the dtypes {@code backend} multiplies (see {@link Backend#supports}),
   * then the shapes ({@link #matmul(Shape, boolean, Shape, boolean, Shape)}). A backend whose bf16
   * activations stay F32 (the CPU) takes F32 or BF16 operands and writes F32; one that computes in
   * 16 bits takes F32, BF16 and F16 operands, one 16-bit dtype at a time, and writes F32 or that
   * dtype ({@link #matmulOperands}).
   */
  public static MatmulSizes matmul(
      Backend backend, Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
    if (backend.activations(Precision.BF16) == DType.BF16) {
      matmulOperands(a.dtype(), b.dtype(), c.dtype());
    } else {
      for (Tensor t : new Tensor[] {a, b}) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16) {
          throw new IllegalArgumentException(
              "matmul needs an F32 or BF16 "
                  + (t == a ? "a" : "b")
                  + ", not "
                  + t.dtype()
                  + " "
                  + t.shape()
                  + "; convert it with copy().");
        }
      }
      f32("matmul", "c", c);
    }
    return matmul(a.shape(), transA, b.shape(), transB, c.shape());
  }

  /**
   * The one dtype a backend that computes in 16 bits multiplies {@code a} and {@code b} in, for an
   * output of dtype {@code c}: both operands of one dtype, 16-bit operands writing a 16-bit or F32
   * output. So an F32 operand next to a 16-bit one is rounded to 16 bits, and F32 operands for a
   * 16-bit output (the bf16 decoder's LoRA update added into a bf16 projection) are both rounded to
   * the output's dtype. Mixed 16-bit operands, and 16-bit operands for an output of the other
   * 16-bit dtype, are refused.
   */
  public static DType matmulOperands(DType a, DType b, DType c) {
    if (a != b && a != DType.F32 && b != DType.F32) {
      throw new IllegalArgumentException(
          "matmul: a is "
              + a
              + " and b is "
              + b
              + "; mixed 16-bit operands must be converted with copy() first.");
    }
    DType in = a == DType.F32 ? b : a;
    if (in == DType.F32) {
      return c;
    }
    if (c != DType.F32 && c != in) {
      throw new IllegalArgumentException(
          "matmul: " + in + " operands cannot write a " + c + " output; use " + in + " or F32.");
    }
    return in;
  }

  /**
   * The shapes of a {@link Backend#matmul}: {@code c [batch..., m, n]} of rank 2 or more; an
   * operand whose leading dimensions are {@code c}'s batch is batched, any other is one matrix
   * shared by every batch; the inner sizes agree. Also the check of products on raw device memory.
   */
  public static MatmulSizes matmul(Shape a, boolean transA, Shape b, boolean transB, Shape c) {
    if (c.rank() < 2) {
      throw new IllegalArgumentException("matmul: the output must have rank >= 2, not " + c + ".");
    }
    int batch = Math.toIntExact(leading(c));
    int m = c.dim(-2);
    int n = c.dim(-1);
    boolean aShared = shared(a, batch);
    boolean bShared = shared(b, batch);
    int aRows = rows(a, aShared ? 1 : batch);
    int bRows = rows(b, bShared ? 1 : batch);
    int am = transA ? a.dim(-1) : aRows;
    int ak = transA ? aRows : a.dim(-1);
    int bk = transB ? b.dim(-1) : bRows;
    int bn = transB ? bRows : b.dim(-1);
    if (am != m || bn != n || ak != bk) {
      throw new IllegalArgumentException(
          "matmul: shapes do not fit: a "
              + a
              + (transA ? "^T" : "")
              + ", b "
              + b
              + (transB ? "^T" : "")
              + ", c "
              + c
              + ".");
    }
    return new MatmulSizes(batch, m, n, ak, aShared, bShared);
  }

  /** The product of the dimensions before the last two: the batch of a matrix of rank 2 or more. */
  private static long leading(Shape s) {
    long p = 1;
    for (int i = 0; i < s.rank() - 2; i++) {
      p *= s.dim(i);
    }
    return p;
  }

  private static boolean shared(Shape s, int batch) {
    return !(batch > 1 && s.rank() >= 3 && leading(s) == batch);
  }

  /**
   * The rows of each of {@code count} matrices of {@code s}: from the dimensions, not size / cols,
   * so that an empty depth (cols 0) still has rows.
   */
  private static int rows(Shape s, int count) {
    long rows = 1;
    for (int i = 0; i < s.rank() - 1; i++) {
      rows *= s.dim(i);
    }
    return Math.toIntExact(rows / count);
  }

  // ---- decoder ops
  // -------------------------------------------------------------------------------------

  /** Every id is a row of a table of {@code vocab} rows. */
  public static void tokenIds(int[] ids, int vocab) {
    for (int id : ids) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(
            "Token id " + id + " is outside the vocabulary [0, " + vocab + ").");
      }
    }
  }

  /** {@link Backend#embedding}: an F32 output of one row per id, ids inside the table. */
  public static void embedding(Tensor table, int[] ids, Tensor out) {
    f32("embedding", "out", out);
    if (out.size() != (long) ids.length * cols(table)) {
      throw new IllegalArgumentException(
          "embedding: " + ids.length + " ids do not fill " + out.shape() + ".");
    }
    tokenIds(ids, table.shape().rows());
  }

  /**
   * {@link Backend#embeddingBackward}: F32 gradients, one row of {@code dOut} per id, ids inside
   * the table.
   */
  public static void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
    f32("embeddingBackward", "dOut", dOut);
    f32("embeddingBackward", "dTable", dTable);
    if (dOut.size() != (long) ids.length * cols(dTable)) {
      throw new IllegalArgumentException(
          "embeddingBackward: " + ids.length + " ids do not fit " + dOut.shape() + ".");
    }
    tokenIds(ids, dTable.shape().rows());
  }

  /**
   * {@link Backend#rmsNorm}: activations x and out, an F32 weight as wide as x's rows, one rstd per
   * row.
   */
  public static void rmsNorm(Backend backend, Tensor x, Tensor weight, Tensor out, Tensor rstd) {
    activation(backend, "rmsNorm", "x", x);
    activation(backend, "rmsNorm", "out", out);
    f32("rmsNorm", "weight", weight);
    f32("rmsNorm", "rstd", rstd);
    if (cols(x) != weight.size()
        || out.size() != x.size()
        || (rstd != null && rstd.size() != x.shape().rows())) {
      throw new IllegalArgumentException(
          "rmsNorm: x "
              + x.shape()
              + ", weight "
              + weight.shape()
              + ", out "
              + out.shape()
              + (rstd == null ? "" : ", rstd " + rstd.shape())
              + " do not fit.");
    }
  }

  /** {@link Backend#rmsNormBackward}: F32 throughout, the shapes of the forward. */
  public static void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
    String op = "rmsNormBackward";
    f32(op, "dOut", dOut);
    f32(op, "x", x);
    f32(op, "weight", weight);
    f32(op, "rstd", rstd);
    f32(op, "dx", dx);
    f32(op, "dWeight", dWeight);
    if (cols(x) != weight.size()
        || dOut.size() != x.size()
        || dx.size() != x.size()
        || rstd.size() != x.shape().rows()
        || (dWeight != null && dWeight.size() != weight.size())) {
      throw new IllegalArgumentException(
          "rmsNormBackward: dOut "
              + dOut.shape()
              + ", x "
              + x.shape()
              + ", weight "
              + weight.shape()
              + ", rstd "
              + rstd.shape()
              + " do not fit.");
    }
  }

  /**
   * {@link Backend#rope}: an activation of whole heads of even width, F32 tables covering the
   * positions.
   */
  public static void rope(
      Backend backend, Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position) {
    activation(backend, "rope", "x", x);
    f32("rope", "cos", cos);
    f32("rope", "sin", sin);
    int width = cols(x);
    int d = heads > 0 ? width / heads : 0;
    int rows = x.shape().rows();
    int n = batch > 0 ? rows / batch : 0;
    if (heads < 1
        || batch < 1
        || width != heads * d
        || d % 2 != 0
        || rows != n * batch
        || cols(cos) != d / 2
        || !cos.shape().equals(sin.shape())
        || position < 0
        || position + n > cos.shape().rows()) {
      throw new IllegalArgumentException(
          "rope: x "
              + x.shape()
              + " with "
              + heads
              + " heads and batch "
              + batch
              + " does not fit tables "
              + cos.shape()
              + " at position "
              + position
              + ".");
    }
  }

  /**
   * {@link Backend#attention}: q, k, v and out activations of one dtype; whole heads, query heads a
   * multiple of the key/value heads; the new rows inside the cache's kv length, which is inside its
   * capacity.
   */
  public static void attention(
      Backend backend,
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      int batch,
      int heads,
      int kvHeads,
      int position,
      int kvLength) {
    String op = "attention";
    activation(backend, op, "q", q);
    activation(backend, op, "k", k);
    activation(backend, op, "v", v);
    activation(backend, op, "out", out);
    sameDType(op, q, k, v, out);
    f32(op, "lse", lse);
    int d = heads > 0 ? cols(q) / heads : 0;
    int n = batch > 0 ? q.shape().rows() / batch : 0;
    int capacity = batch > 0 ? k.shape().rows() / batch : 0;
    if (batch < 1
        || heads < 1
        || kvHeads < 1
        || heads % kvHeads != 0
        || cols(q) != heads * d
        || cols(k) != kvHeads * d
        || !k.shape().equals(v.shape())
        || q.size() != out.size()
        || n * batch != q.shape().rows()
        || capacity * batch != k.shape().rows()
        || kvLength > capacity
        || position < 0
        || position + n > kvLength
        || (lse != null && lse.size() != (long) batch * heads * n)) {
      throw new IllegalArgumentException(
          "attention: q "
              + q.shape()
              + ", k "
              + k.shape()
              + ", v "
              + v.shape()
              + " do not fit batch "
              + batch
              + ", heads "
              + heads
              + "/"
              + kvHeads
              + ", position "
              + position
              + ", kv length "
              + kvLength
              + ".");
    }
  }

  /**
   * {@link Backend#attentionBackward}: the forward's activations, F32 gradients and lse, a full
   * sequence.
   */
  public static void attentionBackward(
      Backend backend,
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
      int kvHeads) {
    String op = "attentionBackward";
    f32(op, "dOut", dOut);
    activation(backend, op, "q", q);
    activation(backend, op, "k", k);
    activation(backend, op, "v", v);
    activation(backend, op, "out", out);
    sameDType(op, q, k, v, out);
    f32(op, "lse", lse);
    f32(op, "dq", dq);
    f32(op, "dk", dk);
    f32(op, "dv", dv);
    int d = heads > 0 ? cols(q) / heads : 0;
    int n = batch > 0 ? q.shape().rows() / batch : 0;
    if (batch < 1
        || heads < 1
        || kvHeads < 1
        || heads % kvHeads != 0
        || cols(q) != heads * d
        || n * batch != q.shape().rows()
        || k.shape().rows() != n * batch
        || cols(k) != kvHeads * d
        || !k.shape().equals(v.shape())
        || dq.size() != q.size()
        || dk.size() != k.size()
        || dv.size() != v.size()
        || dOut.size() != q.size()
        || out.size() != q.size()
        || lse.size() != (long) batch * heads * n) {
      throw new IllegalArgumentException(
          "attentionBackward: q "
              + q.shape()
              + ", k "
              + k.shape()
              + " and their gradients do not fit a full sequence.");
    }
  }

  /** {@link Backend#swiglu}: gate, up and out activations of one dtype and size. */
  public static void swiglu(Backend backend, Tensor gate, Tensor up, Tensor out) {
    activation(backend, "swiglu", "gate", gate);
    activation(backend, "swiglu", "up", up);
    activation(backend, "swiglu", "out", out);
    sameDType("swiglu", gate, up, out);
    sameSize("swiglu", gate, up);
    sameSize("swiglu", gate, out);
  }

  /** {@link Backend#swigluBackward}: the forward's activations, F32 gradients, one size. */
  public static void swigluBackward(
      Backend backend, Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
    String op = "swigluBackward";
    f32(op, "dOut", dOut);
    activation(backend, op, "gate", gate);
    activation(backend, op, "up", up);
    sameDType(op, gate, up);
    f32(op, "dGate", dGate);
    f32(op, "dUp", dUp);
    sameSize(op, dOut, gate);
    sameSize(op, gate, up);
    sameSize(op, gate, dGate);
    sameSize(op, gate, dUp);
  }

  /**
   * One target per row of F32 {@code logits}, each a column of it or {@link Backend#IGNORE_INDEX}.
   */
  public static void crossEntropy(Tensor logits, int[] targets, Tensor dLogits) {
    f32("crossEntropy", "logits", logits);
    f32("crossEntropy", "dLogits", dLogits);
    int vocab = logits.shape().dim(-1);
    if (targets.length != logits.shape().rows()
        || (dLogits != null && dLogits.size() != logits.size())) {
      throw new IllegalArgumentException(
          "crossEntropy: " + targets.length + " targets for logits " + logits.shape() + ".");
    }
    for (int t : targets) {
      if (t != Backend.IGNORE_INDEX && (t < 0 || t >= vocab)) {
        throw new IllegalArgumentException(
            "Label " + t + " is outside the vocabulary [0, " + vocab + ").");
      }
    }
  }

  /**
   * {@link Backend#adamW}: F32 parameter, gradient and moments of one size, the step counted from
   * 1.
   */
  public static void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, int step) {
    f32("adamW", "param", param);
    f32("adamW", "grad", grad);
    f32("adamW", "m", m);
    f32("adamW", "v", v);
    sameSize("adamW", param, grad);
    sameSize("adamW", param, m);
    sameSize("adamW", param, v);
    if (step < 1) {
      throw new IllegalArgumentException("adamW: the step counts from 1, not " + step + ".");
    }
  }
}
