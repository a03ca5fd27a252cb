package dev.lorakit.bench;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that passes every op to another and adds up the wall time spent in each, and the multiply-adds of
 * the matmuls: where a training step's time goes. Tensors are the inner backend's own.
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

    private final Backend inner;
    private final Map<String, Tally> tallies = new LinkedHashMap<>();
    private final Map<String, Tally> products = new LinkedHashMap<>();

    public TimedBackend(Backend inner) {
        this.inner = inner;
    }

    /** The tallies by op name, in order of first use. */
    public Map<String, Tally> tallies() {
        return tallies;
    }

    /** The matmul tallies by product, e.g. {@code "2048x256x768 A·Bᵀ"}. */
    public Map<String, Tally> products() {
        return products;
    }

    public void reset() {
        tallies.clear();
        products.clear();
    }

    private void add(String op, long t0) {
        Tally t = tallies.computeIfAbsent(op, k -> new Tally());
        t.nanos += System.nanoTime() - t0;
        t.calls++;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Tensor zeros(DType dtype, Shape shape) {
        long t0 = System.nanoTime();
        Tensor t = inner.zeros(dtype, shape);
        add("zeros", t0);
        return t;
    }

    @Override
    public Tensor upload(float[] data, DType dtype, Shape shape) {
        long t0 = System.nanoTime();
        Tensor t = inner.upload(data, dtype, shape);
        add("upload", t0);
        return t;
    }

    @Override
    public float[] download(Tensor t) {
        long t0 = System.nanoTime();
        float[] x = inner.download(t);
        add("download", t0);
        return x;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        long t0 = System.nanoTime();
        inner.copy(src, dst);
        add("copy", t0);
    }

    @Override
    public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
        long t0 = System.nanoTime();
        inner.copyColumns(src, srcCol, dst, dstCol, rows, cols);
        add("copyColumns", t0);
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
    public Tensor frozen(java.lang.foreign.MemorySegment bytes, dev.lorakit.core.tensor.DType dtype,
            dev.lorakit.core.tensor.Shape shape) {
        return inner.frozen(bytes, dtype, shape);
    }

    @Override
    public void copyAt(Tensor src, Tensor dst, int batch, int position) {
        long t0 = System.nanoTime();
        inner.copyAt(src, dst, batch, position);
        add("copyAt", t0);
    }

    @Override
    public void fill(Tensor t, float value) {
        long t0 = System.nanoTime();
        inner.fill(t, value);
        add("fill", t0);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        long t0 = System.nanoTime();
        inner.add(a, b, out);
        add("add", t0);
    }

    @Override
    public void addScaled(Tensor x, float alpha, Tensor y) {
        long t0 = System.nanoTime();
        inner.addScaled(x, alpha, y);
        add("addScaled", t0);
    }

    @Override
    public void scale(Tensor x, float s) {
        long t0 = System.nanoTime();
        inner.scale(x, s);
        add("scale", t0);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        long t0 = System.nanoTime();
        double r = inner.sumOfSquares(x);
        add("sumOfSquares", t0);
        return r;
    }

    @Override
    public double sumOfSquares(List<Tensor> xs) {
        long t0 = System.nanoTime();
        double r = inner.sumOfSquares(xs);
        add("sumOfSquares", t0);
        return r;
    }

    @Override
    public boolean allFinite(Tensor x) {
        long t0 = System.nanoTime();
        boolean r = inner.allFinite(x);
        add("allFinite", t0);
        return r;
    }

    @Override
    public void dropout(Tensor x, Tensor out, float p, long seed) {
        long t0 = System.nanoTime();
        inner.dropout(x, out, p, seed);
        add("dropout", t0);
    }

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        long t0 = System.nanoTime();
        inner.matmul(a, transA, b, transB, c, alpha, beta);
        long t1 = System.nanoTime();
        add("matmul", t0);
        int k = transA ? a.shape().dim(-2) : a.shape().dim(-1);
        double flops = 2.0 * c.size() * k;
        tallies.get("matmul").flops += flops;
        String key = c.shape().rows() + "x" + c.shape().dim(-1) + "x" + k + " " + (transA ? "Aᵀ" : "A") + "·"
                + (transB ? "Bᵀ" : "B") + (beta == 0 ? "" : ", β=" + beta);
        Tally t = products.computeIfAbsent(key, x -> new Tally());
        t.nanos += t1 - t0;
        t.calls++;
        t.flops += flops;
    }

    @Override
    public void embedding(Tensor table, int[] ids, Tensor out) {
        long t0 = System.nanoTime();
        inner.embedding(table, ids, out);
        add("embedding", t0);
    }

    @Override
    public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
        long t0 = System.nanoTime();
        inner.embeddingBackward(dOut, ids, dTable);
        add("embeddingBackward", t0);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
        long t0 = System.nanoTime();
        inner.rmsNorm(x, weight, eps, out, rstd);
        add("rmsNorm", t0);
    }

    @Override
    public void rmsNormBackward(Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
        long t0 = System.nanoTime();
        inner.rmsNormBackward(dOut, x, weight, rstd, dx, dWeight);
        add("rmsNormBackward", t0);
    }

    @Override
    public void rope(Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse) {
        long t0 = System.nanoTime();
        inner.rope(x, batch, heads, cos, sin, position, inverse);
        add("rope", t0);
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int batch, int heads, int kvHeads,
            int position, int kvLength, int window) {
        long t0 = System.nanoTime();
        inner.attention(q, k, v, out, lse, batch, heads, kvHeads, position, kvLength, window);
        add("attention", t0);
    }

    @Override
    public void attentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dq,
            Tensor dk, Tensor dv, int batch, int heads, int kvHeads, int window) {
        long t0 = System.nanoTime();
        inner.attentionBackward(dOut, q, k, v, out, lse, dq, dk, dv, batch, heads, kvHeads, window);
        add("attentionBackward", t0);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        long t0 = System.nanoTime();
        inner.swiglu(gate, up, out);
        add("swiglu", t0);
    }

    @Override
    public void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
        long t0 = System.nanoTime();
        inner.swigluBackward(dOut, gate, up, dGate, dUp);
        add("swigluBackward", t0);
    }

    @Override
    public double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale) {
        long t0 = System.nanoTime();
        double r = inner.crossEntropy(logits, targets, dLogits, gradScale);
        add("crossEntropy", t0);
        return r;
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
            double weightDecay, int step) {
        long t0 = System.nanoTime();
        inner.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        add("adamW", t0);
    }

    @Override
    public void close() {
        inner.close();
    }
}
