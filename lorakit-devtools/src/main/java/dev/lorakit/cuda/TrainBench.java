package dev.lorakit.cuda;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.TimedBackend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.RandomWeights;
import dev.lorakit.core.nn.TrainingMemory;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.LrSchedule;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import dev.lorakit.core.train.Example;
import dev.lorakit.core.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA training throughput of a full-size decoder shape on one GPU, measured as the PEFT baseline
 * measures it: random bf16 weights (generated on the device, N(0, 0.02)), random token batches with
 * labels = ids, the library's own {@link Trainer} step (forward, backward, gradient norm, AdamW on
 * the LoRA matrices), warm-up steps, then timed steps between CUDA events. Also times one bf16 n^3
 * cuBLAS GEMM (n = 8192 at the 7B shapes), the peak against which MFU is reported. With profiling,
 * every backend op of the timed steps is timed between CUDA events on the stream ({@link
 * TimedBackend} with a {@link CudaEventClock}), resolved after each step's synchronisation.
 */
public final class TrainBench {

  /**
   * One run's figures.
   *
   * @param stepSeconds mean wall time of a timed step
   * @param tokensPerSecond batch * seq / stepSeconds
   * @param peakBytes the allocator's high-water mark over the timed steps (tensors in use)
   * @param deviceUsedBytes total minus free device memory at the end, as cuMemGetInfo reports it
   * @param gemmTflops the measured bf16 GEMM rate
   * @param firstLoss the mean loss of the first step (about ln(vocab) for random weights)
   * @param device the GPU's name
   * @param ops with profiling, GPU time, calls and FLOPs per op summed over the timed steps (print
   *     them with {@link TimedBackend#table}); empty without
   */
  public record Result(
      double stepSeconds,
      double tokensPerSecond,
      long peakBytes,
      long deviceUsedBytes,
      double gemmTflops,
      double firstLoss,
      String device,
      Map<String, TimedBackend.Tally> ops) {}

  private TrainBench() {}

  /**
   * Runs {@code warmup + steps} steps; {@code lossChunkRows} as {@link Decoder#setLossChunkRows};
   * {@code gemmSize} the side of the peak GEMM; {@code profile} times every op of the timed steps.
   */
  public static Result run(
      DecoderConfig config,
      LoraSpec spec,
      int batch,
      int seq,
      boolean checkpointing,
      int steps,
      int warmup,
      long seed,
      int lossChunkRows,
      Precision precision,
      int gemmSize,
      boolean profile) {
    try (CudaBackend gpu = new CudaBackend();
        CudaEventClock clock = new CudaEventClock(gpu)) {
      double gemm = gemmTflops(gpu, gemmSize);
      DecoderWeights weights = randomWeights(gpu, config, seed);
      TimedBackend timed = profile ? new TimedBackend(gpu, clock) : null;
      Backend backend = profile ? timed : gpu;
      LoraWeights lora = LoraWeights.init(spec, backend, seed + 1);
      Random rnd = new Random(seed);
      List<Example> data = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        int[] ids = new int[seq];
        for (int i = 0; i < seq; i++) {
          ids[i] = rnd.nextInt(config.vocab());
        }
        data.add(new Example(ids, ids));
      }
      try (Decoder d = new Decoder(config, weights, backend, precision);
          AdamW optimizer = new AdamW(backend, lora.parameters(), AdamW.Settings.defaults())) {
        d.setLora(lora);
        d.setCheckpointing(checkpointing);
        d.setLossChunkRows(lossChunkRows);
        double[] firstLoss = {Double.NaN};
        Trainer.Listener listener =
            m -> {
              if (Double.isNaN(firstLoss[0])) {
                firstLoss[0] = m.loss();
              }
              if (timed != null) {
                timed
                    .settle(); // the step has synchronised (its gradient norm); its events are done
              }
            };
        train(d, lora, optimizer, batch, warmup, seed, data, listener);
        gpu.synchronize();
        gpu.allocator().resetPeak();
        if (timed != null) {
          timed.reset();
        }
        CudaDriver driver = gpu.driver();
        MemorySegment start = driver.eventCreate();
        MemorySegment end = driver.eventCreate();
        driver.eventRecord(start, gpu.stream());
        train(d, lora, optimizer, batch, warmup + steps, seed, data, listener);
        driver.eventRecord(end, gpu.stream());
        driver.eventSynchronize(end);
        double seconds = driver.eventElapsedMillis(start, end) / 1e3 / Math.max(1, steps);
        driver.eventDestroy(start);
        driver.eventDestroy(end);
        long[] info = gpu.memoryInfo();
        return new Result(
            seconds,
            batch * seq / seconds,
            gpu.allocator().peakBytesInUse(),
            info[1] - info[0],
            gemm,
            firstLoss[0],
            gpu.name(),
            timed == null ? Map.of() : timed.tallies());
      } finally {
        lora.close();
        weights.close();
      }
    }
  }

  /**
   * The trainer's steps up to step {@code until}: constant lr 1e-4, no clipping, labels = ids, as
   * PEFT's run.
   */
  private static void train(
      Decoder d,
      LoraWeights lora,
      AdamW optimizer,
      int batch,
      int until,
      long seed,
      List<Example> data,
      Trainer.Listener listener) {
    Trainer.Settings settings =
        new Trainer.Settings(batch, 1, until, LrSchedule.constant(1e-4, 0), 0, 0, null, seed, 0);
    try {
      new Trainer(d, lora, optimizer, settings, data).train(listener);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // no checkpoints are written
    }
  }

  /**
   * The frozen base, drawn on the GPU: {@link RandomWeights.Init#TRANSFORMERS} (as {@code
   * make-random-model} writes it), matrices bf16, norms f32.
   */
  static DecoderWeights randomWeights(CudaBackend gpu, DecoderConfig c, long seed) {
    return new RandomWeights(seed, RandomWeights.Init.TRANSFORMERS)
        .decoderWeights(
            c,
            draw ->
                DeviceRandom.draw(
                    gpu, draw, draw.kind() == RandomWeights.Kind.NORM ? DType.F32 : DType.BF16));
  }

  private static RandomWeights.Draw gemmInput(long stream, int n) {
    return new RandomWeights.Draw(
        "x", 0, stream, RandomWeights.Kind.PROJECTION, n, n, 0, Math.sqrt(3));
  }

  /**
   * TFLOP/s of a bf16 n x n x n product (3 warm-up, 10 timed), as the PEFT baseline measures its
   * peak.
   */
  static double gemmTflops(CudaBackend gpu, int n) {
    try (Tensor a = gpu.zeros(DType.BF16, Shape.of(n, n));
        Tensor b = gpu.zeros(DType.BF16, Shape.of(n, n));
        Tensor c = gpu.zeros(DType.BF16, Shape.of(n, n))) {
      DeviceRandom.fill(gpu, a, gemmInput(1, n));
      DeviceRandom.fill(gpu, b, gemmInput(2, n));
      for (int i = 0; i < 3; i++) {
        gpu.matmul(a, false, b, false, c, 1, 0);
      }
      CudaDriver driver = gpu.driver();
      MemorySegment start = driver.eventCreate();
      MemorySegment end = driver.eventCreate();
      driver.eventRecord(start, gpu.stream());
      for (int i = 0; i < 10; i++) {
        gpu.matmul(a, false, b, false, c, 1, 0);
      }
      driver.eventRecord(end, gpu.stream());
      driver.eventSynchronize(end);
      double seconds = driver.eventElapsedMillis(start, end) / 1e3 / 10;
      driver.eventDestroy(start);
      driver.eventDestroy(end);
      return 2.0 * n * n * n / seconds / 1e12;
    }
  }

  /**
   * The plan's expected peak for this run on this backend: bf16 weights; saved activations of 4
   * bytes (fp32) or 2 (bf16); and the largest transient block an op takes (see {@link #workspace}).
   */
  public static TrainingMemory plan(
      DecoderConfig config,
      LoraSpec spec,
      int batch,
      int seq,
      boolean checkpointing,
      int lossChunkRows,
      Precision precision) {
    return TrainingMemory.of(
            config,
            spec,
            batch,
            seq,
            checkpointing,
            2,
            precision == Precision.BF16 ? 2 : 4,
            spec.dropout() > 0,
            lossChunkRows)
        .withWorkspace(workspace(config, batch, seq, lossChunkRows));
  }

  /**
   * The largest block one op of a training step takes for its duration: a bf16 copy of the largest
   * float32 matrix a product reads against bf16 weights (a gradient {@code [tokens, intermediate]}
   * against a projection, or a loss block's logits against the output projection), which {@link
   * CudaBackend#matmul} makes for cuBLAS; or, where the fused attention backward does not apply (a
   * head wider than it compiles for), the unfused backward's per-head copies and its two float32
   * {@code [batch*heads, seq, seq]} score matrices. The fused backward takes a row vector.
   */
  static long workspace(DecoderConfig config, int batch, int seq, int lossChunkRows) {
    long n = (long) batch * seq;
    long widest = Math.max(config.intermediate(), Math.max(config.hidden(), config.qWidth()));
    long rows = TrainingMemory.lossBlockRows(n, lossChunkRows).last();
    long cast = DeviceAllocator.roundUp(2 * Math.max(n * widest, rows * config.vocab()));
    long bh = (long) batch * config.heads();
    long attention =
        FlashAttention.cap(config.headDim()) > 0
            ? DeviceAllocator.roundUp(4 * bh * seq)
            : unfusedAttentionBackward(bh, seq, config.headDim());
    return Math.max(cast, attention);
  }

  /**
   * The blocks of {@link CudaBackend#attentionBackward}'s unfused path: five per-head copies, P, dS
   * and a row vector.
   */
  static long unfusedAttentionBackward(long bh, long seq, long headDim) {
    return 5 * DeviceAllocator.roundUp(4 * bh * seq * headDim)
        + 2 * DeviceAllocator.roundUp(4 * bh * seq * seq)
        + DeviceAllocator.roundUp(4 * bh * seq);
  }
}
