package dev.lorakit.core.backend;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A backend that passes every op to another and adds up the time spent in each, its calls, and the
 * floating-point operations of the matmuls: where a training step's time goes. Tensors are the
 * inner backend's own.
 *
 * <p>The time comes from a {@link Clock}: {@link #WALL} (the host's wall time, right for a backend
 * that computes before it returns, as the CPU's does) or a device clock that records marks on the
 * device's queue, such as CUDA events, so that asynchronous ops are timed on the device without a
 * synchronisation per op. Marks are turned into time only by {@link #settle}, which the caller
 * invokes after the work is done (after the step's synchronisation).
 */
public final class TimedBackend implements Backend {

  /** Time, calls and (for matmul) floating-point operations of one op. */
  public static final class Tally {
    long nanos;
    long calls;
    double flops;

    public double seconds() {
      return nanos * 1e-9;
    }

    public long calls() {
      return calls;
    }

    public double flops() {
      return flops;
    }
  }

  /** Where the op times come from. */
  public interface Clock {

    /** A mark at this point of the op stream, as a handle that {@link #nanos} resolves later. */
    long mark();

    /**
     * Nanoseconds from mark {@code from} to mark {@code to}; called after the work between them is
     * done.
     */
    long nanos(long from, long to);

    /** Every mark made so far has been resolved; their resources may be reused. */
    default void recycle() {}
  }

  /** The host's monotonic wall clock: a mark is {@link System#nanoTime}. */
  public static final Clock WALL =
      new Clock() {
        @Override
        public long mark() {
          return System.nanoTime();
        }

        @Override
        public long nanos(long from, long to) {
          return to - from;
        }
      };

  /** An op whose marks are not resolved yet; {@code product} is null but for matmuls. */
  private record Pending(Tally op, Tally product, long from, long to) {}

  private final Backend inner;
  private final Clock clock;
  private final Map<String, Tally> tallies = new LinkedHashMap<>();
  private final Map<String, Tally> products = new LinkedHashMap<>();
  private final List<Pending> pending = new ArrayList<>();

  /** Times {@code inner}'s ops by the host's wall clock. */
  public TimedBackend(Backend inner) {
    this(inner, WALL);
  }

  /** Times {@code inner}'s ops by {@code clock}. */
  public TimedBackend(Backend inner, Clock clock) {
    this.inner = inner;
    this.clock = clock;
  }

  /** The backend whose ops are timed. */
  public Backend inner() {
    return inner;
  }

  /** The tallies by op name, in order of first use (settles first). */
  public Map<String, Tally> tallies() {
    settle();
    return tallies;
  }

  /** The matmul tallies by product, e.g. {@code "2048x256x768 A·Bᵀ"} (settles first). */
  public Map<String, Tally> products() {
    settle();
    return products;
  }

  /**
   * Resolves the marks of the ops timed so far into their tallies; call it when their work is done.
   */
  public void settle() {
    for (Pending p : pending) {
      long ns = clock.nanos(p.from(), p.to());
      p.op().nanos += ns;
      if (p.product() != null) {
        p.product().nanos += ns;
      }
    }
    pending.clear();
    clock.recycle();
  }

  /** Forgets every tally (after warm-up steps). */
  public void reset() {
    settle();
    tallies.clear();
    products.clear();
  }

  private Tally tally(String op, long from, Tally product) {
    Tally t = tallies.computeIfAbsent(op, k -> new Tally());
    t.calls++;
    pending.add(new Pending(t, product, from, clock.mark()));
    return t;
  }

  /**
   * The table of where a step's time goes, one row per op, slowest first: calls, total time over
   * the {@code steps} steps, time per step, share of a step of {@code stepSeconds}, and GFLOP/s
   * where counted; with {@code rest}, a last row for the step's time outside the ops.
   */
  public static String table(
      Map<String, Tally> tallies, int steps, double stepSeconds, boolean rest) {
    List<Map.Entry<String, Tally>> ops = new ArrayList<>(tallies.entrySet());
    ops.sort((x, y) -> Long.compare(y.getValue().nanos, x.getValue().nanos));
    StringBuilder sb =
        new StringBuilder(
            "| op | calls | total ms | ms per step | share of step | GFLOP/s |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
    double covered = 0;
    for (Map.Entry<String, Tally> e : ops) {
      Tally t = e.getValue();
      double perStep = t.seconds() / steps;
      covered += perStep;
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f | %.2f | %.1f%% | %s |%n",
              e.getKey(),
              t.calls(),
              t.seconds() * 1e3,
              perStep * 1e3,
              100 * perStep / stepSeconds,
              t.flops() > 0
                  ? String.format(Locale.ROOT, "%.1f", t.flops() / t.seconds() / 1e9)
                  : ""));
    }
    if (rest) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| (outside the ops) | | | %.2f | %.1f%% | |%n",
              (stepSeconds - covered) * 1e3,
              100 * (stepSeconds - covered) / stepSeconds));
    }
    return sb.toString();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public Tensor zeros(DType dtype, Shape shape) {
    long t0 = clock.mark();
    Tensor t = inner.zeros(dtype, shape);
    tally("zeros", t0, null);
    return t;
  }

  @Override
  public Tensor upload(float[] data, DType dtype, Shape shape) {
    long t0 = clock.mark();
    Tensor t = inner.upload(data, dtype, shape);
    tally("upload", t0, null);
    return t;
  }

  @Override
  public float[] download(Tensor t) {
    long t0 = clock.mark();
    float[] x = inner.download(t);
    tally("download", t0, null);
    return x;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    long t0 = clock.mark();
    inner.copy(src, dst);
    tally("copy", t0, null);
  }

  @Override
  public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
    long t0 = clock.mark();
    inner.copyColumns(src, srcCol, dst, dstCol, rows, cols);
    tally("copyColumns", t0, null);
  }

  @Override
  public boolean supports(dev.lorakit.core.tensor.Precision precision) {
    return inner.supports(precision);
  }

  @Override
  public dev.lorakit.core.tensor.DType activations(dev.lorakit.core.tensor.Precision precision) {
    return inner.activations(precision);
  }

  @Override
  public Tensor frozen(
      MemorySegment bytes,
      dev.lorakit.core.tensor.DType dtype,
      dev.lorakit.core.tensor.Shape shape) {
    return inner.frozen(bytes, dtype, shape);
  }

  @Override
  public void copyAt(Tensor src, Tensor dst, int batch, int position) {
    long t0 = clock.mark();
    inner.copyAt(src, dst, batch, position);
    tally("copyAt", t0, null);
  }

  @Override
  public void fill(Tensor t, float value) {
    long t0 = clock.mark();
    inner.fill(t, value);
    tally("fill", t0, null);
  }

  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    long t0 = clock.mark();
    inner.add(a, b, out);
    tally("add", t0, null);
  }

  @Override
  public void addScaled(Tensor x, float alpha, Tensor y) {
    long t0 = clock.mark();
    inner.addScaled(x, alpha, y);
    tally("addScaled", t0, null);
  }

  @Override
  public void scale(Tensor x, float s) {
    long t0 = clock.mark();
    inner.scale(x, s);
    tally("scale", t0, null);
  }

  @Override
  public double sumOfSquares(Tensor x) {
    long t0 = clock.mark();
    double r = inner.sumOfSquares(x);
    tally("sumOfSquares", t0, null);
    return r;
  }

  @Override
  public double sumOfSquares(List<Tensor> xs) {
    long t0 = clock.mark();
    double r = inner.sumOfSquares(xs);
    tally("sumOfSquares", t0, null);
    return r;
  }

  @Override
  public boolean allFinite(Tensor x) {
    long t0 = clock.mark();
    boolean r = inner.allFinite(x);
    tally("allFinite", t0, null);
    return r;
  }

  @Override
  public void dropout(Tensor x, Tensor out, float p, long seed) {
    long t0 = clock.mark();
    inner.dropout(x, out, p, seed);
    tally("dropout", t0, null);
  }

  @Override
  public void matmul(
      Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
    int k = transA ? a.shape().dim(-2) : a.shape().dim(-1);
    double flops = 2.0 * c.size() * k;
    String key =
        c.shape().rows()
            + "x"
            + c.shape().dim(-1)
            + "x"
            + k
            + " "
            + (transA ? "Aᵀ" : "A")
            + "·"
            + (transB ? "Bᵀ" : "B")
            + (beta == 0 ? "" : ", β=" + beta);
    Tally product = products.computeIfAbsent(key, x -> new Tally());
    product.calls++;
    product.flops += flops;
    long t0 = clock.mark();
    inner.matmul(a, transA, b, transB, c, alpha, beta);
    tally("matmul", t0, product).flops += flops;
  }

  @Override
  public void embedding(Tensor table, int[] ids, Tensor out) {
    long t0 = clock.mark();
    inner.embedding(table, ids, out);
    tally("embedding", t0, null);
  }

  @Override
  public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
    long t0 = clock.mark();
    inner.embeddingBackward(dOut, ids, dTable);
    tally("embeddingBackward", t0, null);
  }

  @Override
  public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
    long t0 = clock.mark();
    inner.rmsNorm(x, weight, eps, out, rstd);
    tally("rmsNorm", t0, null);
  }

  @Override
  public void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
    long t0 = clock.mark();
    inner.rmsNormBackward(dOut, x, weight, rstd, dx, dWeight);
    tally("rmsNormBackward", t0, null);
  }

  @Override
  public void rope(
      Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse) {
    long t0 = clock.mark();
    inner.rope(x, batch, heads, cos, sin, position, inverse);
    tally("rope", t0, null);
  }

  @Override
  public void attention(
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
      int window) {
    long t0 = clock.mark();
    inner.attention(q, k, v, out, lse, batch, heads, kvHeads, position, kvLength, window);
    tally("attention", t0, null);
  }

  @Override
  public void attentionBackward(
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
      int window) {
    long t0 = clock.mark();
    inner.attentionBackward(dOut, q, k, v, out, lse, dq, dk, dv, batch, heads, kvHeads, window);
    tally("attentionBackward", t0, null);
  }

  @Override
  public void swiglu(Tensor gate, Tensor up, Tensor out) {
    long t0 = clock.mark();
    inner.swiglu(gate, up, out);
    tally("swiglu", t0, null);
  }

  @Override
  public void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
    long t0 = clock.mark();
    inner.swigluBackward(dOut, gate, up, dGate, dUp);
    tally("swigluBackward", t0, null);
  }

  @Override
  public double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale) {
    long t0 = clock.mark();
    double r = inner.crossEntropy(logits, targets, dLogits, gradScale);
    tally("crossEntropy", t0, null);
    return r;
  }

  @Override
  public void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      int step) {
    long t0 = clock.mark();
    inner.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    tally("adamW", t0, null);
  }

  @Override
  public void close() {
    inner.close();
  }
}
