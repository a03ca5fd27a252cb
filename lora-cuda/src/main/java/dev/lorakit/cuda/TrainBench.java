package dev.lorakit.cuda;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.LayerWeights;
import dev.lorakit.core.nn.TrainingMemory;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * LoRA training throughput of a full-size decoder shape on one GPU, measured as the PEFT baseline measures it:
 * random bf16 weights (generated on the device, N(0, 0.02)), random token batches with labels = ids, AdamW on the
 * LoRA matrices, warm-up steps, then timed steps between CUDA events. Also times one bf16 8192^3 cuBLAS GEMM, the
 * peak against which MFU is reported.
 */
public final class TrainBench {

    /**
     * One run's figures.
     *
     * @param stepSeconds     mean wall time of a timed step
     * @param tokensPerSecond batch * seq / stepSeconds
     * @param peakBytes       the allocator's high-water mark over the timed steps (tensors in use)
     * @param deviceUsedBytes total minus free device memory at the end, as cuMemGetInfo reports it
     * @param gemmTflops      the measured bf16 GEMM rate
     * @param firstLoss       the mean loss of the first step (about ln(vocab) for random weights)
     */
    public record Result(double stepSeconds, double tokensPerSecond, long peakBytes, long deviceUsedBytes,
            double gemmTflops, double firstLoss, String device) {
    }

    private TrainBench() {
    }

    /** Runs {@code warmup + steps} steps; {@code lossChunkRows} as {@link Decoder#setLossChunkRows}. */
    public static Result run(DecoderConfig config, LoraSpec spec, int batch, int seq, boolean checkpointing, int steps,
            int warmup, long seed, int lossChunkRows, Precision precision) {
        try (CudaBackend gpu = new CudaBackend()) {
            double gemm = gemmTflops(gpu);
            DecoderWeights weights = randomWeights(gpu, config, seed);
            LoraWeights lora = LoraWeights.init(spec, gpu, seed + 1);
            List<Parameter> params = lora.parameters();
            List<Tensor[]> moments = new ArrayList<>();
            for (Parameter p : params) {
                moments.add(new Tensor[] {gpu.zeros(DType.F32, p.value().shape()), gpu.zeros(DType.F32, p.value().shape())});
            }
            Random rnd = new Random(seed);
            int[] ids = new int[batch * seq];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rnd.nextInt(config.vocab());
            }
            int[] targets = CausalLmLoss.targets(ids, batch);
            int counted = CausalLmLoss.counted(targets);
            try (Decoder d = new Decoder(config, weights, gpu, precision)) {
                d.setLora(lora);
                d.setTraining(true);
                d.setCheckpointing(checkpointing);
                d.setLossChunkRows(lossChunkRows);
                double firstLoss = Double.NaN;
                int step = 0;
                for (int i = 0; i < warmup; i++) {
                    double loss = step(gpu, d, lora, params, moments, ids, targets, batch, counted, ++step);
                    if (i == 0) {
                        firstLoss = loss;
                    }
                }
                gpu.synchronize();
                gpu.allocator().resetPeak();
                CudaDriver driver = gpu.driver();
                MemorySegment start = driver.eventCreate();
                MemorySegment end = driver.eventCreate();
                driver.eventRecord(start, gpu.stream());
                for (int i = 0; i < steps; i++) {
                    double loss = step(gpu, d, lora, params, moments, ids, targets, batch, counted, ++step);
                    if (Double.isNaN(firstLoss)) {
                        firstLoss = loss;
                    }
                }
                driver.eventRecord(end, gpu.stream());
                driver.eventSynchronize(end);
                double seconds = driver.eventElapsedMillis(start, end) / 1e3 / Math.max(1, steps);
                driver.eventDestroy(start);
                driver.eventDestroy(end);
                long[] info = gpu.memoryInfo();
                return new Result(seconds, batch * seq / seconds, gpu.allocator().peakBytesInUse(), info[1] - info[0],
                        gemm, firstLoss, gpu.name());
            } finally {
                for (Tensor[] m : moments) {
                    m[0].close();
                    m[1].close();
                }
                lora.close();
                weights.close();
            }
        }
    }

    private static double step(Backend be, Decoder d, LoraWeights lora, List<Parameter> params, List<Tensor[]> moments,
            int[] ids, int[] targets, int batch, int counted, int step) {
        lora.zeroGrad();
        d.setDropoutSeed(step);
        Activations a = d.forwardForLoss(ids, batch);
        double loss = d.backward(a, targets, 1f / counted) / counted;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            be.adamW(p.value(), p.grad(), moments.get(i)[0], moments.get(i)[1], 1e-4, 0.9, 0.999, 1e-8, 0.01, step);
        }
        return loss;
    }

    /** The frozen base: projections, embeddings and head bf16 N(0, 0.02) (as transformers initialises), norms 1. */
    static DecoderWeights randomWeights(CudaBackend gpu, DecoderConfig c, long seed) {
        long[] counter = {seed * 1_000_003L};
        List<LayerWeights> layers = new ArrayList<>();
        int h = c.hidden();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new LayerWeights(ones(gpu, h), normal(gpu, counter, c.qWidth(), h),
                    normal(gpu, counter, c.kvWidth(), h), normal(gpu, counter, c.kvWidth(), h),
                    normal(gpu, counter, h, c.qWidth()), ones(gpu, h), normal(gpu, counter, c.intermediate(), h),
                    normal(gpu, counter, c.intermediate(), h), normal(gpu, counter, h, c.intermediate())));
        }
        Tensor embed = normal(gpu, counter, c.vocab(), h);
        Tensor head = c.tiedEmbeddings() ? embed : normal(gpu, counter, c.vocab(), h);
        return new DecoderWeights(embed, layers, ones(gpu, h), head);
    }

    private static Tensor normal(CudaBackend gpu, long[] counter, int rows, int cols) {
        Tensor t = gpu.zeros(DType.BF16, Shape.of(rows, cols));
        gpu.initNormal(t, counter[0]++, 0.02f);
        return t;
    }

    private static Tensor ones(CudaBackend gpu, int n) {
        Tensor t = gpu.zeros(DType.F32, Shape.of(n));
        gpu.fill(t, 1f);
        return t;
    }

    /** TFLOP/s of a bf16 8192 x 8192 x 8192 product (3 warm-up, 10 timed), as the PEFT baseline measures its peak. */
    static double gemmTflops(CudaBackend gpu) {
        int n = 8192;
        try (Tensor a = gpu.zeros(DType.BF16, Shape.of(n, n)); Tensor b = gpu.zeros(DType.BF16, Shape.of(n, n));
                Tensor c = gpu.zeros(DType.BF16, Shape.of(n, n))) {
            gpu.initNormal(a, 1, 1f);
            gpu.initNormal(b, 2, 1f);
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
     * The plan's expected bytes for this run: bf16 weights; activations of 4 bytes (fp32) or 2 (bf16: an estimate,
     * since the bf16 decoder keeps its residual stream and some gradients in fp32).
     */
    public static TrainingMemory plan(DecoderConfig config, LoraSpec spec, int batch, int seq, boolean checkpointing,
            int lossChunkRows, Precision precision) {
        return TrainingMemory.of(config, spec, batch, seq, checkpointing, 2, precision == Precision.BF16 ? 2 : 4,
                spec.dropout() > 0, lossChunkRows);
    }
}
