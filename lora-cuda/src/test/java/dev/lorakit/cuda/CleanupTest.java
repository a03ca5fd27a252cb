package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleanupTest {

  @Test
  void everyStepRunsAndTheFirstFailureIsThrownWithTheLaterOnesSuppressed() {
    List<String> ran = new ArrayList<>();
    RuntimeException first = new CudaException("cuStreamSynchronize failed");
    IllegalStateException second = new IllegalStateException("cuModuleUnload failed");
    Cleanup c = new Cleanup();
    c.run(() -> ran.add("a"));
    c.run(
        () -> {
          ran.add("b");
          throw first;
        });
    c.run(
        () -> {
          ran.add("c");
          throw second;
        });
    c.run(() -> ran.add("d"));
    RuntimeException thrown = assertThrows(RuntimeException.class, c::finish);
    assertSame(first, thrown);
    assertArrayEquals(new Throwable[] {second}, thrown.getSuppressed());
    assertEquals(List.of("a", "b", "c", "d"), ran);
  }

  @Test
  void cleaningUpAfterAnErrorKeepsThatErrorFirst() {
    CudaException cause = new CudaException("Could not load cuBLAS");
    Cleanup c = new Cleanup(cause);
    IllegalStateException later = new IllegalStateException("cuStreamDestroy failed");
    c.run(
        () -> {
          throw later;
        });
    c.run(
        () -> {
          throw cause; // the same error met again is not its own suppressed
        });
    assertSame(cause, assertThrows(CudaException.class, c::finish));
    assertArrayEquals(new Throwable[] {later}, cause.getSuppressed());
  }

  @Test
  void nothingFailedNothingThrown() {
    Cleanup c = new Cleanup();
    c.run(() -> {});
    c.finish();
  }
}
