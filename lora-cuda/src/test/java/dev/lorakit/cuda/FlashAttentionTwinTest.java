package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.testkit.ParityChecks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused attention kernels' algorithm (tiles, online softmax, recomputed backward), run by its
 * plain-Java twin, against CpuBackend's attention and attentionBackward: GQA groups 1, 2 and 4,
 * windows shorter and longer than the sequence, lengths that are not multiples of the 32-row tile,
 * head widths under each compiled cap, and the cached forward at a position past 0.
 */
class FlashAttentionTwinTest {

  private static CpuBackend cpu;

  @BeforeAll
  static void start() {
    cpu = new CpuBackend(2);
  }

  @AfterAll
  static void stop() {
    cpu.close();
  }

  static List<Arguments> shapes() {
    List<Arguments> a = new ArrayList<>();
    // batch, n, heads, kvHeads, d, window
    a.add(Arguments.of(2, 13, 4, 4, 16, 0));
    a.add(Arguments.of(2, 45, 4, 2, 16, 5));
    a.add(Arguments.of(1, 70, 4, 1, 16, 33));
    a.add(Arguments.of(2, 33, 4, 2, 16, 1000));
    a.add(Arguments.of(1, 64, 2, 1, 64, 0));
    a.add(Arguments.of(1, 50, 2, 2, 40, 17));
    a.add(Arguments.of(1, 37, 2, 1, 128, 0));
    a.add(Arguments.of(1, 35, 1, 1, 130, 9));
    a.add(Arguments.of(1, 1, 2, 1, 16, 0));
    return a;
  }

  private static float[] randoms(long seed, int n) {
    return ParityChecks.randoms(seed, n, 1);
  }

  private static Tensor up(float[] a, int... dims) {
    return cpu.upload(a, DType.F32, Shape.of(dims));
  }

  /** max |a - b| / max(1, max |a|). */
  private static double error(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    double scale = 1;
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
    }
    return worst / scale;
  }

  @ParameterizedTest(name = "batch {0}, n {1}, heads {2}/{3}, d {4}, window {5}")
  @MethodSource("shapes")
  void forwardAndBackwardMatchTheCpuBackend(
      int batch, int n, int heads, int kvHeads, int d, int window) {
    long seed = 31L * n + d + window;
    int qw = heads * d;
    int kw = kvHeads * d;
    float[] q = randoms(seed, batch * n * qw);
    float[] k = randoms(seed + 1, batch * n * kw);
    float[] v = randoms(seed + 2, batch * n * kw);
    float[] g = randoms(seed + 3, batch * n * qw);
    float[] dq0 = randoms(seed + 4, batch * n * qw);
    float[] dk0 = randoms(seed + 5, batch * n * kw);
    float[] dv0 = randoms(seed + 6, batch * n * kw);

    Tensor tq = up(q, batch * n, qw);
    Tensor tk = up(k, batch * n, kw);
    Tensor tv = up(v, batch * n, kw);
    Tensor to = cpu.zeros(DType.F32, Shape.of(batch * n, qw));
    Tensor tl = cpu.zeros(DType.F32, Shape.of(batch, heads, n));
    cpu.attention(tq, tk, tv, to, tl, batch, heads, kvHeads, 0, n, window);
    Tensor tdq = up(dq0, batch * n, qw);
    Tensor tdk = up(dk0, batch * n, kw);
    Tensor tdv = up(dv0, batch * n, kw);
    cpu.attentionBackward(
        up(g, batch * n, qw), tq, tk, tv, to, tl, tdq, tdk, tdv, batch, heads, kvHeads, window);

    float[] out = new float[batch * n * qw];
    float[] lse = new float[batch * heads * n];
    FlashAttentionTwin.forward(q, k, v, out, lse, batch, n, n, heads, kvHeads, d, 0, n, window);
    double outErr = error(cpu.download(to), out);
    double lseErr = error(cpu.download(tl), lse);
    // The backward reads the reference's out and lse, so its error is its own.
    float[] dq = dq0.clone();
    float[] dk = dk0.clone();
    float[] dv = dv0.clone();
    FlashAttentionTwin.backward(
        g,
        q,
        k,
        v,
        cpu.download(to),
        cpu.download(tl),
        dq,
        dk,
        dv,
        batch,
        n,
        heads,
        kvHeads,
        d,
        window);
    double dqErr = error(cpu.download(tdq), dq);
    double dkErr = error(cpu.download(tdk), dk);
    double dvErr = error(cpu.download(tdv), dv);
    System.out.printf(
        "flash twin n=%d h=%d/%d d=%d w=%d: out %.1e lse %.1e dq %.1e dk %.1e dv %.1e%n",
        n, heads, kvHeads, d, window, outErr, lseErr, dqErr, dkErr, dvErr);
    assertTrue(outErr < 2e-6, "out error " + outErr);
    assertTrue(lseErr < 2e-6, "lse error " + lseErr);
    assertTrue(dqErr < 1e-5, "dq error " + dqErr);
    assertTrue(dkErr < 1e-5, "dk error " + dkErr);
    assertTrue(dvErr < 1e-5, "dv error " + dvErr);
  }

  @Test
  void cachedForwardAtALaterPositionMatchesTheCpuBackend() {
    int batch = 2;
    int heads = 4;
    int kvHeads = 2;
    int d = 16;
    int capacity = 80;
    int position = 37;
    int n = 20;
    int kvLength = position + n;
    for (int window : new int[] {0, 8, 45}) {
      float[] q = randoms(90 + window, batch * n * heads * d);
      float[] k = randoms(91 + window, batch * capacity * kvHeads * d);
      float[] v = randoms(92 + window, batch * capacity * kvHeads * d);
      Tensor to = cpu.zeros(DType.F32, Shape.of(batch * n, heads * d));
      Tensor tl = cpu.zeros(DType.F32, Shape.of(batch, heads, n));
      cpu.attention(
          up(q, batch * n, heads * d),
          up(k, batch * capacity, kvHeads * d),
          up(v, batch * capacity, kvHeads * d),
          to,
          tl,
          batch,
          heads,
          kvHeads,
          position,
          kvLength,
          window);
      float[] out = new float[q.length];
      float[] lse = new float[batch * heads * n];
      FlashAttentionTwin.forward(
          q, k, v, out, lse, batch, n, capacity, heads, kvHeads, d, position, kvLength, window);
      assertTrue(error(cpu.download(to), out) < 2e-6, "window " + window + ": out differs");
      assertTrue(error(cpu.download(tl), lse) < 2e-6, "window " + window + ": lse differs");
    }
  }

  @Test
  void headWidthsMapToTheCompiledCapsAndTiles() {
    assertEquals(64, FlashAttention.cap(16));
    assertEquals(64, FlashAttention.cap(64));
    assertEquals(128, FlashAttention.cap(65));
    assertEquals(128, FlashAttention.cap(128));
    assertEquals(256, FlashAttention.cap(256));
    assertEquals(0, FlashAttention.cap(257));
    assertEquals(32, FlashAttention.tile(128));
    assertEquals(16, FlashAttention.tile(256));
    // The kernels' static shared memory (two tiles of floats) must stay under the 48 KiB limit.
    for (int cap : new int[] {64, 128, 256}) {
      assertTrue(2L * FlashAttention.tile(cap) * cap * 4 + 2L * 32 * 4 <= 48 * 1024, "cap " + cap);
    }
    assertTrue(KernelSources.fileOf("flash_attn_fwd_bf16_d128").name().equals("flash_attention"));
  }

  @Test
  void theTwinIgnoresWhatIsOutsideTheWindow() {
    // With window 1 each query sees only itself: out = v of its own position (per kv head).
    int n = 40;
    int d = 8;
    float[] q = randoms(1, n * d);
    float[] k = randoms(2, n * d);
    float[] v = randoms(3, n * d);
    float[] out = new float[n * d];
    FlashAttentionTwin.forward(q, k, v, out, null, 1, n, n, 1, 1, d, 0, n, 1);
    assertEquals(0, error(v, out), 1e-7);
    Backend unused = cpu;
    assertTrue(unused.name().startsWith("cpu"));
  }
}
