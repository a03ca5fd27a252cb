package dev.lorakit.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The timing decorator with a scripted clock: calls, times from the clock's marks, FLOPs, and the
 * table.
 */
class TimedBackendTest {

  /**
   * Marks are indexes; mark i stands at time 1000 * i^2 ns, so consecutive marks are further apart
   * each time.
   */
  static final class ScriptedClock implements TimedBackend.Clock {
    final List<Long> resolved = new ArrayList<>();
    long next;
    int recycled;

    @Override
    public long mark() {
      return next++;
    }

    @Override
    public long nanos(long from, long to) {
      resolved.add(to);
      return 1000 * (to * to - from * from);
    }

    @Override
    public void recycle() {
      recycled++;
    }
  }

  @Test
  void opsAreTimedByTheClocksMarksAndResolvedOnlyWhenSettled() {
    ScriptedClock clock = new ScriptedClock();
    try (CpuBackend cpu = new CpuBackend(1)) {
      TimedBackend backend = new TimedBackend(cpu, clock);
      Tensor a = backend.zeros(DType.F32, Shape.of(4, 3)); // marks 0, 1
      Tensor b = backend.zeros(DType.F32, Shape.of(5, 3)); // marks 2, 3
      Tensor c = backend.zeros(DType.F32, Shape.of(4, 5)); // marks 4, 5
      backend.matmul(a, false, b, true, c, 1, 0); // marks 6, 7
      backend.matmul(a, false, b, true, c, 1, 1); // marks 8, 9
      assertTrue(clock.resolved.isEmpty(), "nothing is resolved before settle");
      Map<String, TimedBackend.Tally> tallies = backend.tallies();
      assertEquals(1, clock.recycled, "settling resolves every mark, then recycles them");
      assertEquals(List.of(1L, 3L, 5L, 7L, 9L), clock.resolved);
      TimedBackend.Tally zeros = tallies.get("zeros");
      TimedBackend.Tally matmul = tallies.get("matmul");
      assertEquals(3, zeros.calls());
      assertEquals(1000 * ((1 - 0) + (9 - 4) + (25 - 16)) * 1e-9, zeros.seconds(), 1e-15);
      assertEquals(2, matmul.calls());
      assertEquals(1000 * ((49 - 36) + (81 - 64)) * 1e-9, matmul.seconds(), 1e-15);
      assertEquals(2 * 2.0 * 4 * 5 * 3, matmul.flops(), 0.0);
      assertEquals(2, backend.products().size(), "two products: beta 0 and beta 1");
      backend.reset();
      assertTrue(backend.tallies().isEmpty());
      for (Tensor t : List.of(a, b, c)) {
        t.close();
      }
    }
  }

  @Test
  void theTableHasARowPerOpAndTheRestOfTheStep() {
    ScriptedClock clock = new ScriptedClock();
    try (CpuBackend cpu = new CpuBackend(1)) {
      TimedBackend backend = new TimedBackend(cpu, clock);
      backend.zeros(DType.F32, Shape.of(2)).close(); // 1 us
      backend.zeros(DType.F32, Shape.of(2)).close(); // 5 us
      String table = TimedBackend.table(backend.tallies(), 2, 10e-6, true);
      List<String> rows = table.lines().toList();
      assertEquals(
          "| op | calls | total ms | ms per step | share of step | GFLOP/s |", rows.get(0));
      assertEquals("| zeros | 2 | 0.01 | 0.00 | 30.0% |  |", rows.get(2));
      assertEquals("| (outside the ops) | | | 0.01 | 70.0% | |", rows.get(3));
    }
  }
}
