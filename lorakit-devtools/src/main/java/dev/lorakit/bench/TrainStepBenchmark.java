package dev.lorakit.bench;

import dev.lorakit.core.backend.CpuBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * One LoRA training step (forward, loss, backward, AdamW) of the demo model, {@link
 * DemoModel.Setup#demo()}: steps/s, and tokens/s as a secondary result. {@link TrainStep} prints
 * the same with FLOPs and a breakdown.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
// The fork inherits the JVM flags of the JVM that ./lorakit-dev starts
// (scripts/jvm-flags.properties).
@Fork(value = 1, jvmArgsAppend = "-Xmx6g")
public class TrainStepBenchmark {

  /** Threads of the backend; 0: every available processor. */
  @Param("0")
  public int threads;

  private CpuBackend backend;
  private DemoModel model;

  /** Tokens trained, reported per second next to the steps. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Tokens {
    public long tokens;

    @Setup(Level.Iteration)
    public void clear() {
      tokens = 0;
    }
  }

  @Setup
  public void setUp() {
    backend = threads == 0 ? new CpuBackend() : new CpuBackend(threads);
    model = new DemoModel(DemoModel.Setup.demo(), backend, 42);
  }

  @TearDown
  public void tearDown() {
    model.close();
    backend.close();
  }

  @Benchmark
  public double trainStep(Tokens counter) {
    counter.tokens += model.setup().tokens();
    return model.step();
  }
}
