package dev.lorakit.bench;

import dev.lorakit.core.backend.CpuBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU backend's matmul on the shapes of {@link GemmShape#ALL}: time per product. GFLOP/s is
 * {@code 2 m n k / time}; {@link GemmVsNumpy} prints it next to numpy's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// The fork inherits the JVM flags of the JVM that ./lorakit-dev starts
// (scripts/jvm-flags.properties).
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class GemmBenchmark {

  @Param({
    "sq1024-AB",
    "sq1024-ABT",
    "sq1024-ATB",
    "sq2048-ABT",
    "attn-proj",
    "mlp-up",
    "mlp-down",
    "lm-head",
    "lm-head-dx",
    "mlp-up-dx",
    "mlp-down-dx",
    "mlp-up-dw",
    "lora-xa",
    "lora-xab",
    "lora-db",
    "lora-da"
  })
  public String shape;

  /** Threads of the backend; 0: every available processor. */
  @Param("0")
  public int threads;

  private CpuBackend backend;
  private GemmShape.Operands ops;

  @Setup
  public void setUp() {
    backend = threads == 0 ? new CpuBackend() : new CpuBackend(threads);
    ops = GemmShape.named(shape).operands(backend, 1);
  }

  @TearDown
  public void tearDown() {
    backend.close();
  }

  @Benchmark
  public void matmul() {
    ops.multiply(backend);
  }
}
