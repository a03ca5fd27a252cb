package dev.lorakit.bench;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.List;
import java.util.Random;

/**
 * One benchmarked product {@code C[m x n] = op(A) op(B)} with its operands stored as the engine
 * stores them.
 *
 * @param name a stable name, used as the JMH parameter and in tables
 * @param m rows of C
 * @param n columns of C
 * @param k the depth
 * @param layout which operand is read transposed
 * @param role where the product occurs, for the reader of a table
 */
public record GemmShape(String name, int m, int n, int k, Layout layout, String role) {

  /** The three layouts a forward and backward pass use. */
  public enum Layout {
    /** {@code A B}: both as stored; the backward's {@code dX = dY W}. */
    AB("A·B", false, false),
    /** {@code A B^T}: the forward of a linear layer, {@code y = x W^T}. */
    ABT("A·Bᵀ", false, true),
    /** {@code A^T B}: weight gradients, {@code dW = dY^T x} (LoRA's dA and dB). */
    ATB("Aᵀ·B", true, false);

    public final String symbol;
    public final boolean transA;
    public final boolean transB;

    Layout(String symbol, boolean transA, boolean transB) {
      this.symbol = symbol;
      this.transA = transA;
      this.transB = transB;
    }
  }

  /**
   * The demo model's products (hidden 256, intermediate 768, vocab 32000, 8 sequences of 256 tokens
   * = 2048 rows, LoRA rank 8) and square 1024 and 2048 products in every layout.
   */
  public static final List<GemmShape> ALL =
      List.of(
          new GemmShape("sq1024-AB", 1024, 1024, 1024, Layout.AB, "square"),
          new GemmShape("sq1024-ABT", 1024, 1024, 1024, Layout.ABT, "square"),
          new GemmShape("sq1024-ATB", 1024, 1024, 1024, Layout.ATB, "square"),
          new GemmShape("sq2048-ABT", 2048, 2048, 2048, Layout.ABT, "square"),
          new GemmShape("attn-proj", 2048, 256, 256, Layout.ABT, "q/k/v/o forward"),
          new GemmShape("mlp-up", 2048, 768, 256, Layout.ABT, "gate/up forward"),
          new GemmShape("mlp-down", 2048, 256, 768, Layout.ABT, "down forward"),
          new GemmShape("lm-head", 2048, 32000, 256, Layout.ABT, "lm_head forward"),
          new GemmShape("lm-head-dx", 2048, 256, 32000, Layout.AB, "lm_head backward dX"),
          new GemmShape("mlp-up-dx", 2048, 256, 768, Layout.AB, "gate/up backward dX"),
          new GemmShape("mlp-down-dx", 2048, 768, 256, Layout.AB, "down backward dX"),
          new GemmShape("mlp-up-dw", 768, 256, 2048, Layout.ATB, "gate/up weight gradient"),
          new GemmShape("lora-xa", 2048, 8, 256, Layout.ABT, "LoRA x·Aᵀ"),
          new GemmShape("lora-xab", 2048, 768, 8, Layout.ABT, "LoRA (xA)·Bᵀ"),
          new GemmShape("lora-db", 768, 8, 2048, Layout.ATB, "LoRA dB"),
          new GemmShape("lora-da", 8, 256, 2048, Layout.ATB, "LoRA dA"));

  /** The shape called {@code name}. */
  public static GemmShape named(String name) {
    for (GemmShape s : ALL) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "No GEMM shape is called "
            + name
            + "; known: "
            + ALL.stream().map(GemmShape::name).toList()
            + ".");
  }

  /** Multiply-adds count twice: {@code 2 m n k}. */
  public double flops() {
    return 2.0 * m * n * k;
  }

  /** {@code m x n x k}. */
  public String dims() {
    return m + "x" + n + "x" + k;
  }

  /** A as stored: {@code [m, k]}, or {@code [k, m]} when read transposed. */
  public Shape aShape() {
    return layout.transA ? Shape.of(k, m) : Shape.of(m, k);
  }

  /** B as stored: {@code [k, n]}, or {@code [n, k]} when read transposed. */
  public Shape bShape() {
    return layout.transB ? Shape.of(n, k) : Shape.of(k, n);
  }

  /** Random operands and an output for this product on {@code backend}. */
  public Operands operands(Backend backend, long seed) {
    Random rnd = new Random(seed);
    return new Operands(
        this,
        random(backend, rnd, aShape()),
        random(backend, rnd, bShape()),
        backend.zeros(DType.F32, Shape.of(m, n)));
  }

  private static Tensor random(Backend backend, Random rnd, Shape shape) {
    float[] x = new float[(int) shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return backend.upload(x, DType.F32, shape);
  }

  /** A product ready to run. */
  public record Operands(GemmShape shape, Tensor a, Tensor b, Tensor c) {

    /** {@code c = op(a) op(b)}. */
    public void multiply(Backend backend) {
      backend.matmul(a, shape.layout.transA, b, shape.layout.transB, c, 1f, 0f);
    }
  }
}
