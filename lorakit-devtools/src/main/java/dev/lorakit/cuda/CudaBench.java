package dev.lorakit.cuda;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The GPU benchmarks at LLaMA-2-7B shapes (2048 tokens, hidden 4096, MLP 11008, 32 heads,
 * vocabulary 32000), timed with CUDA events:
 *
 * <ul>
 *   <li>bf16 GEMMs (fp32 accumulation) of the forward ({@code x W^T}), the input-gradient ({@code
 *       dY W}) and the weight-gradient ({@code dY^T X}) products, against {@code torch.matmul} on
 *       the same shapes and layouts in the same run (a {@code python3 -c} child process; torch is
 *       only the yardstick). Target: ratio >= 0.9.
 *   <li>the memory-bound kernels (RMSNorm, RoPE, SwiGLU, cross-entropy, AdamW), forward and
 *       backward with the bf16 decoder's dtypes, as effective GB/s (the bytes each must read and
 *       write once) against the device's measured copy bandwidth ({@code cuMemcpyDtoD} of 1 GiB).
 *       Target: >= 70% each.
 * </ul>
 *
 * Prints both tables; exits 2 without a GPU, 1 when a figure misses its target, else 0. {@code
 * --no-torch} skips the reference process.
 */
public final class CudaBench {

  static final int TOKENS = 2048;
  static final int HIDDEN = 4096;
  static final int MLP = 11008;
  static final int HEADS = 32;
  static final int VOCAB = 32000;

  /** LoRA r=16 on all seven projections of the 7B model: the parameters AdamW updates. */
  static final long LORA_PARAMS = 32L * 16 * (4 * (HIDDEN + HIDDEN) + 3 * (HIDDEN + MLP));

  private static final int WARMUP = 3;
  private static final int REPS = 20;

  /**
   * One GEMM case: {@code c [m, n] = op(a) op(b)} with {@code a [m, k]} ({@code [k, m]} when
   * transA).
   */
  record Gemm(String name, int m, int n, int k, boolean transA, boolean transB) {
    String torchSpec() {
      return name
          + ":"
          + m
          + ":"
          + n
          + ":"
          + k
          + ":"
          + (transA ? "T" : "N")
          + ":"
          + (transB ? "T" : "N");
    }
  }

  static List<Gemm> gemms() {
    List<Gemm> out = new ArrayList<>();
    int[][] layers = {{HIDDEN, HIDDEN}, {MLP, HIDDEN}, {HIDDEN, MLP}};
    String[] names = {"q/k/v/o", "gate/up", "down"};
    for (int i = 0; i < layers.length; i++) {
      int outF = layers[i][0];
      int inF = layers[i][1];
      out.add(
          new Gemm(
              "fwd " + names[i] + " " + TOKENS + "x" + outF + "x" + inF,
              TOKENS,
              outF,
              inF,
              false,
              true));
      out.add(
          new Gemm(
              "dX  " + names[i] + " " + TOKENS + "x" + inF + "x" + outF,
              TOKENS,
              inF,
              outF,
              false,
              false));
      out.add(
          new Gemm(
              "dW  " + names[i] + " " + outF + "x" + inF + "x" + TOKENS,
              outF,
              inF,
              TOKENS,
              true,
              false));
    }
    return out;
  }

  /** Times {@code torch.matmul} in bf16 on the cases; prints a line per case as JSON. */
  static final String TORCH_SCRIPT =
      """
            import sys, json, torch
            def timed(f, reps=20, warm=3):
                for _ in range(warm): f()
                s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
                torch.cuda.synchronize(); s.record()
                for _ in range(reps): f()
                e.record(); torch.cuda.synchronize()
                return s.elapsed_time(e) / reps
            for spec in sys.argv[1:]:
                name, m, n, k, ta, tb = spec.split(':')
                m, n, k = int(m), int(n), int(k)
                a = torch.randn((k, m) if ta == 'T' else (m, k), device='cuda', dtype=torch.bfloat16)
                b = torch.randn((n, k) if tb == 'T' else (k, n), device='cuda', dtype=torch.bfloat16)
                A = a.t() if ta == 'T' else a
                B = b.t() if tb == 'T' else b
                print(json.dumps({"name": name, "ms": timed(lambda: torch.matmul(A, B))}), flush=True)
            """;

  private CudaBench() {}

  public static void main(String[] args) throws Exception {
    CudaBackendProvider.Availability a = new CudaBackendProvider().availability();
    if (!a.available()) {
      System.err.println("The CUDA backend is not available: " + a.reason());
      System.exit(2);
    }
    boolean torch = !List.of(args).contains("--no-torch");
    List<Gemm> cases = gemms();
    Map<String, Double> torchMs = torch ? torch(cases) : Map.of();
    long below;
    try (CudaBackend gpu = new CudaBackend()) {
      System.out.println("device " + gpu.name());
      BenchTable g =
          new BenchTable("bf16 GEMM, fp32 accumulation (TFLOP/s)", "TFLOP/s", "torch", 0.9);
      for (Gemm c : cases) {
        double ms = gemmMillis(gpu, c);
        Double t = torchMs.get(c.name());
        g.add(
            c.name(),
            BenchTable.tflops(c.m(), c.n(), c.k(), ms),
            t == null ? Double.NaN : BenchTable.tflops(c.m(), c.n(), c.k(), t));
      }
      System.out.println();
      System.out.print(g.format());
      double copy = copyBandwidth(gpu);
      BenchTable m = memoryBound(gpu, copy);
      System.out.println();
      System.out.print(m.format());
      below = g.below() + m.below();
    }
    System.out.println();
    System.out.println(
        below == 0
            ? "all benchmark figures meet their targets"
            : below + " benchmark figure(s) below target");
    System.exit(below == 0 ? 0 : 1);
  }

  /**
   * Runs the torch script; an empty map (and a line on stderr) when python3 or torch is missing.
   */
  static Map<String, Double> torch(List<Gemm> cases) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("python3", "-c", TORCH_SCRIPT));
    cases.forEach(c -> cmd.add(c.torchSpec()));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      System.err.println(
          "No torch reference: python3 could not be started (" + e.getMessage() + ").");
      return Map.of();
    }
    List<String> lines = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    }
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      System.err.println("The torch reference failed:\n" + String.join("\n", lines));
    }
    return BenchTable.parseTorchLines(lines);
  }

  static double gemmMillis(CudaBackend gpu, Gemm c) {
    Tensor a =
        random(gpu, DType.BF16, c.transA() ? Shape.of(c.k(), c.m()) : Shape.of(c.m(), c.k()));
    Tensor b =
        random(gpu, DType.BF16, c.transB() ? Shape.of(c.n(), c.k()) : Shape.of(c.k(), c.n()));
    Tensor out = gpu.zeros(DType.BF16, Shape.of(c.m(), c.n()));
    try {
      Runnable r = () -> gpu.matmul(a, c.transA(), b, c.transB(), out, 1f, 0f);
      CudaEventClock.timeMillis(gpu, r, WARMUP);
      return CudaEventClock.timeMillis(gpu, r, REPS);
    } finally {
      a.close();
      b.close();
      out.close();
    }
  }

  /** Values in [-1, 1) from a fixed stream, made on the host and uploaded once. */
  static Tensor random(CudaBackend gpu, DType dtype, Shape shape) {
    float[] v = new float[Math.toIntExact(shape.size())];
    SplittableRandom rnd = new SplittableRandom(shape.size());
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return gpu.upload(v, dtype, shape);
  }

  /** Read plus write GB/s of a device-to-device copy of 1 GiB. */
  static double copyBandwidth(CudaBackend gpu) {
    long bytes = 1L << 30;
    Tensor src = gpu.zeros(DType.F32, Shape.of((int) (bytes / 4)));
    Tensor dst = gpu.zeros(DType.F32, Shape.of((int) (bytes / 4)));
    try {
      Runnable r = () -> gpu.copy(src, dst);
      CudaEventClock.timeMillis(gpu, r, WARMUP);
      return BenchTable.gbPerSecond(2.0 * bytes, CudaEventClock.timeMillis(gpu, r, REPS));
    } finally {
      src.close();
      dst.close();
    }
  }

  static BenchTable memoryBound(CudaBackend gpu, double copyGbs) {
    BenchTable t =
        new BenchTable(
            String.format(
                Locale.ROOT,
                "memory-bound kernels, effective GB/s (device copy bandwidth %.0f GB/s)",
                copyGbs),
            "GB/s",
            "copy",
            0.7);
    long n = (long) TOKENS * HIDDEN;
    long nm = (long) TOKENS * MLP;
    Tensor x = random(gpu, DType.F32, Shape.of(TOKENS, HIDDEN));
    Tensor w = random(gpu, DType.F32, Shape.of(HIDDEN));
    Tensor xb = gpu.zeros(DType.BF16, Shape.of(TOKENS, HIDDEN));
    Tensor rstd = gpu.zeros(DType.F32, Shape.of(TOKENS));
    Tensor dx = gpu.zeros(DType.F32, Shape.of(TOKENS, HIDDEN));
    Tensor g = random(gpu, DType.F32, Shape.of(TOKENS, HIDDEN));
    gpu.rmsNorm(x, w, 1e-5f, xb, rstd);
    measure(
        gpu,
        t,
        copyGbs,
        "rmsnorm fwd f32->bf16 2048x4096",
        4.0 * n + 2.0 * n,
        () -> gpu.rmsNorm(x, w, 1e-5f, xb, rstd));
    measure(
        gpu,
        t,
        copyGbs,
        "rmsnorm bwd f32 2048x4096",
        4.0 * n * 4,
        () -> gpu.rmsNormBackward(g, x, w, rstd, dx, null));

    int half = HIDDEN / HEADS / 2;
    Tensor cos = random(gpu, DType.F32, Shape.of(TOKENS, half));
    Tensor sin = random(gpu, DType.F32, Shape.of(TOKENS, half));
    measure(
        gpu,
        t,
        copyGbs,
        "rope fwd bf16 2048x32x128",
        2.0 * n * 2,
        () -> gpu.rope(xb, 1, HEADS, cos, sin, 0, false));
    measure(
        gpu,
        t,
        copyGbs,
        "rope bwd f32 2048x32x128",
        4.0 * n * 2,
        () -> gpu.rope(dx, 1, HEADS, cos, sin, 0, true));

    Tensor gate = random(gpu, DType.BF16, Shape.of(TOKENS, MLP));
    Tensor up = random(gpu, DType.BF16, Shape.of(TOKENS, MLP));
    Tensor act = gpu.zeros(DType.BF16, Shape.of(TOKENS, MLP));
    Tensor dAct = random(gpu, DType.F32, Shape.of(TOKENS, MLP));
    Tensor dGate = gpu.zeros(DType.F32, Shape.of(TOKENS, MLP));
    Tensor dUp = gpu.zeros(DType.F32, Shape.of(TOKENS, MLP));
    measure(
        gpu,
        t,
        copyGbs,
        "swiglu fwd bf16 2048x11008",
        2.0 * nm * 3,
        () -> gpu.swiglu(gate, up, act));
    measure(
        gpu,
        t,
        copyGbs,
        "swiglu bwd bf16/f32 2048x11008",
        nm * (4.0 + 2 + 2 + 8 + 8),
        () -> gpu.swigluBackward(dAct, gate, up, dGate, dUp));
    for (Tensor z : new Tensor[] {gate, up, act, dAct, dGate, dUp, cos, sin}) {
      z.close();
    }

    long nv = (long) TOKENS * VOCAB;
    Tensor logits = random(gpu, DType.F32, Shape.of(TOKENS, VOCAB));
    int[] targets = new int[TOKENS];
    for (int i = 0; i < TOKENS; i++) {
      targets[i] = (i * 7919) % VOCAB;
    }
    long dTargets = gpu.deviceInts(targets);
    long losses = gpu.allocator().allocate(8L * TOKENS, "benchmark");
    CudaTensor z = (CudaTensor) logits;
    // The kernel alone: Backend.crossEntropy also uploads the targets and downloads the losses each
    // call.
    measure(
        gpu,
        t,
        copyGbs,
        "cross-entropy fwd+bwd f32 2048x32000",
        8.0 * nv,
        () ->
            gpu.kernels()
                .launch(
                    "cross_entropy_f32",
                    gpu.stream(),
                    TOKENS,
                    z.pointer(),
                    dTargets,
                    z.pointer(),
                    losses,
                    VOCAB,
                    1f / TOKENS,
                    -100));
    gpu.allocator().release(dTargets);
    gpu.allocator().release(losses);
    logits.close();

    int p = Math.toIntExact(LORA_PARAMS);
    Tensor param = random(gpu, DType.F32, Shape.of(p));
    Tensor grad = random(gpu, DType.F32, Shape.of(p));
    Tensor m1 = gpu.zeros(DType.F32, Shape.of(p));
    Tensor v1 = gpu.zeros(DType.F32, Shape.of(p));
    int[] step = {0};
    measure(
        gpu,
        t,
        copyGbs,
        "adamw f32 " + p + " LoRA params",
        4.0 * p * 7,
        () -> gpu.adamW(param, grad, m1, v1, 1e-4, 0.9, 0.999, 1e-8, 0.01, ++step[0]));
    for (Tensor q : new Tensor[] {x, w, xb, rstd, dx, g, param, grad, m1, v1}) {
      q.close();
    }
    return t;
  }

  private static void measure(
      CudaBackend gpu, BenchTable t, double copyGbs, String name, double bytes, Runnable r) {
    CudaEventClock.timeMillis(gpu, r, WARMUP);
    t.add(name, BenchTable.gbPerSecond(bytes, CudaEventClock.timeMillis(gpu, r, REPS)), copyGbs);
  }
}
