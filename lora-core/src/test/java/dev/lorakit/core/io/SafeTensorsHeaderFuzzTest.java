package dev.lorakit.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Arbitrary bytes as a safetensors header: the parser returns a consistent header or throws {@link
 * SafeTensorsException}, never anything else.
 *
 * <p>A normal build runs this as a regression test over the seeds and past findings in {@code
 * src/test/resources/dev/lorakit/core/io/SafeTensorsHeaderFuzzTestInputs/headerParserNeverFailsOtherwise/}.
 * To fuzz for real (up to {@code maxDuration}):
 *
 * <pre>
 * JAZZER_FUZZ=1 ./build -pl lora-core test -Dtest=SafeTensorsHeaderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class SafeTensorsHeaderFuzzTest {

  /**
   * A small data area (so offsets often fall outside it) and an unbounded one (so sizes near
   * overflow pass).
   */
  private static final long[] DATA_AREA_SIZES = {4096, Long.MAX_VALUE};

  @FuzzTest(maxDuration = "5m")
  void headerParserNeverFailsOtherwise(byte[] header) {
    for (long dataAreaSize : DATA_AREA_SIZES) {
      SafeTensorsHeader parsed;
      try {
        parsed = SafeTensorsHeader.parse("fuzz.safetensors", header, dataAreaSize);
      } catch (SafeTensorsException e) {
        if (e.getMessage() == null || !e.getMessage().startsWith("fuzz.safetensors")) {
          throw new AssertionError("the message does not name the file: " + e.getMessage(), e);
        }
        continue;
      }
      checkConsistent(parsed, dataAreaSize);
    }
  }

  /** What every accepted header promises its readers. */
  static void checkConsistent(SafeTensorsHeader header, long dataAreaSize) {
    List<TensorInfo> nonEmpty = new ArrayList<>();
    header
        .tensors()
        .forEach(
            (name, info) -> {
              check(name.equals(info.name()), "entry key and tensor name differ: " + name);
              check(
                  !name.equals(SafeTensorsHeader.METADATA_KEY), "__metadata__ parsed as a tensor");
              for (long d : info.shape()) {
                check(d >= 0, "negative dimension in " + info);
              }
              check(
                  0 <= info.begin() && info.begin() <= info.end() && info.end() <= dataAreaSize,
                  "offsets outside [0, " + dataAreaSize + "]: " + info);
              check(
                  info.end() - info.begin() == info.byteSize(),
                  "offsets disagree with the size: " + info);
              if (info.end() > info.begin()) {
                nonEmpty.add(info);
              }
            });
    nonEmpty.sort(Comparator.comparingLong(TensorInfo::begin));
    for (int i = 1; i < nonEmpty.size(); i++) {
      check(
          nonEmpty.get(i).begin() >= nonEmpty.get(i - 1).end(),
          "overlap: " + nonEmpty.get(i - 1) + " and " + nonEmpty.get(i));
    }
    header.metadata().forEach((k, v) -> check(k != null && v != null, "null metadata entry"));
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
