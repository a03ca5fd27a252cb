package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.io.SafeTensors;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.SafeTensorsWriter;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.models.ModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * make-random-model, lora-grads and compare-grads on the tiny shape: the folder lorakit and
 * transformers load, the adapter and batch, the same bytes for the same seed, lorakit's gradients
 * against transformers + PEFT's (a file made once with the Python step of
 * scripts/correctness-1b.sh, see its README), and the verdicts.
 */
class RandomModelCommandsTest {

  @TempDir Path tmp;

  private DevRun make(Path dir, long seed) {
    return DevRun.of(
        "make-random-model",
        "--shape",
        "tiny",
        "--seed",
        Long.toString(seed),
        "--lora-r",
        "16",
        "--batch",
        "2",
        "--seq",
        "24",
        "--out",
        dir.resolve("base").toString(),
        "--adapter-out",
        dir.resolve("adapter").toString(),
        "--batch-out",
        dir.resolve("batch.safetensors").toString());
  }

  private DevRun grads(Path dir, Path model, Path out) {
    return DevRun.of(
        "lora-grads",
        "--model",
        model.toString(),
        "--adapter",
        dir.resolve("adapter").toString(),
        "--batch",
        dir.resolve("batch.safetensors").toString(),
        "--device",
        "cpu",
        "--out",
        out.toString());
  }

  @Test
  void writesAModelAnAdapterAndABatchThatLoad() throws Exception {
    DevRun run = make(tmp, 0);
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(
        run.out().contains("Wrote " + tmp.resolve("base") + " (tiny, 1.52e+05 parameters, bf16)"),
        run.out());
    DecoderConfig c;
    try (ModelFolder folder = ModelFolder.open(tmp.resolve("base"))) {
      c = folder.decoderConfig();
      assertEquals(
          List.of(512, 64, 160, 2, 4, 2),
          List.of(c.vocab(), c.hidden(), c.intermediate(), c.layers(), c.heads(), c.kvHeads()));
      assertEquals(
          new RandomModel("tiny", 512, 64, 160, 2, 4, 2).parameters(), ModelFolderSize.of(folder));
    }
    try (CpuBackend cpu = new CpuBackend(1);
        LoraWeights lora = LoraWeights.read(tmp.resolve("adapter"), c, cpu)) {
      assertEquals(2 * 7, lora.pairs().size());
      for (LoraWeights.Pair p : lora.pairs()) {
        assertEquals(16, p.module().rank());
        assertEquals(2.0f, p.scale());
        assertTrue(cpu.sumOfSquares(p.a()) > 0 && cpu.sumOfSquares(p.b()) > 0, p.module().name());
      }
    }
    try (SafeTensorsFile batch = SafeTensorsFile.open(tmp.resolve("batch.safetensors"))) {
      assertArrayEquals(new long[] {2, 24}, batch.info("input_ids").shape());
      assertEquals(SafeTensorsDtype.I64, batch.info("labels").dtype());
      int[] ids = batch.ints("input_ids");
      int[] labels = batch.ints("labels");
      for (int i = 0; i < ids.length; i++) {
        assertTrue(ids[i] >= 0 && ids[i] < 512);
        boolean masked = i < 6 || i >= 45;
        assertEquals(masked ? -100 : ids[i], labels[i], "label " + i);
      }
    }
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherValues() throws Exception {
    assertEquals(0, make(tmp.resolve("a"), 7).exitCode());
    assertEquals(0, make(tmp.resolve("b"), 7).exitCode());
    assertEquals(0, make(tmp.resolve("c"), 8).exitCode());
    for (String f :
        List.of(
            "base/model.safetensors",
            "base/config.json",
            "adapter/adapter_model.safetensors",
            "batch.safetensors")) {
      byte[] a = Files.readAllBytes(tmp.resolve("a").resolve(f));
      assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
      if (!f.endsWith(".json"))
        assertFalse(Arrays.equals(a, Files.readAllBytes(tmp.resolve("c").resolve(f))), f);
    }
  }

  @Test
  void lorakitMatchesTransformersAndPeftInFloat32() throws Exception {
    assertEquals(0, make(tmp, 0).exitCode());
    Path ours = tmp.resolve("lorakit-grads.safetensors");
    DevRun run = grads(tmp, tmp.resolve("base"), ours);
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(
        run.out().startsWith("loss ") && run.out().contains("28 LoRA gradients written"),
        run.out());
    Path peft = Path.of(getClass().getResource("random-tiny/peft-grads.safetensors").toURI());
    DevRun cmp =
        DevRun.of(
            "compare-grads",
            ours.toString(),
            peft.toString(),
            "--loss-tol",
            "1e-5",
            "--grad-tol",
            "1e-4");
    assertEquals(0, cmp.exitCode(), cmp.out() + cmp.err());
    assertTrue(cmp.out().contains("gradients: 28 tensors"), cmp.out());
    assertTrue(cmp.out().strip().endsWith("PASS"), cmp.out());
  }

  @Test
  void shardedWeightsGiveTheSameGradients() throws Exception {
    assertEquals(0, make(tmp, 0).exitCode());
    Path sharded = tmp.resolve("sharded");
    RandomModel.shape("tiny").writeModel(sharded, 0, 100_000);
    try (Stream<Path> files = Files.list(sharded)) {
      assertEquals(
          5,
          files
              .filter(
                  p ->
                      p.getFileName()
                          .toString()
                          .matches(
                              "model-0000\\d-of-00004\\.safetensors|"
                                  + SafeTensors.INDEX_FILE.replace(".", "\\.")))
              .count());
    }
    assertEquals(0, grads(tmp, tmp.resolve("base"), tmp.resolve("one.safetensors")).exitCode());
    assertEquals(0, grads(tmp, sharded, tmp.resolve("four.safetensors")).exitCode());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("one.safetensors")),
        Files.readAllBytes(tmp.resolve("four.safetensors")));
  }

  @Test
  void compareGradsFailsOnADifferentGradientOrLossAndNamesIt() throws Exception {
    assertEquals(0, make(tmp, 0).exitCode());
    Path ours = tmp.resolve("g.safetensors");
    assertEquals(0, grads(tmp, tmp.resolve("base"), ours).exitCode());
    byte[] written = Files.readAllBytes(ours);
    DevRun again = grads(tmp, tmp.resolve("base"), ours);
    assertEquals(2, again.exitCode());
    assertEquals(
        "lorakit-dev lora-grads: --out "
            + ours
            + " already exists; give --overwrite to replace it, or choose "
            + "another file.",
        again.err().strip());
    DevRun replaced =
        DevRun.of(
            "lora-grads",
            "--model",
            tmp.resolve("base").toString(),
            "--adapter",
            tmp.resolve("adapter").toString(),
            "--batch",
            tmp.resolve("batch.safetensors").toString(),
            "--device",
            "cpu",
            "--out",
            ours.toString(),
            "--overwrite");
    assertEquals(0, replaced.exitCode(), replaced.err());
    assertArrayEquals(written, Files.readAllBytes(ours), "the same gradients again");
    DevRun self = DevRun.of("compare-grads", ours.toString(), ours.toString());
    assertEquals(0, self.exitCode());
    assertTrue(self.out().contains("relative L2 median 0.000e+00, worst 0.000e+00"), self.out());
    String moved = "grad.base_model.model.model.layers.1.mlp.up_proj.lora_A.weight";
    Path other = tmp.resolve("other.safetensors");
    Path lossOff = tmp.resolve("loss.safetensors");
    try (SafeTensorsFile f = SafeTensorsFile.open(ours)) {
      SafeTensorsWriter w = SafeTensorsWriter.create();
      SafeTensorsWriter l = SafeTensorsWriter.create();
      for (String n : f.names()) {
        float[] v = f.floats(n);
        l.addFloats(
            n,
            f.info(n).shape(),
            n.equals("loss") ? new float[] {v[0] * 1.02f} : v,
            SafeTensorsDtype.F32);
        if (n.equals(moved)) {
          for (int i = 0; i < v.length; i++) v[i] *= 1.1f;
        }
        w.addFloats(n, f.info(n).shape(), v, SafeTensorsDtype.F32);
      }
      w.write(other);
      l.write(lossOff);
    }
    DevRun grad = DevRun.of("compare-grads", other.toString(), ours.toString());
    assertEquals(1, grad.exitCode(), grad.out());
    assertTrue(
        grad.out().contains("layers.1.mlp.up_proj.lora_A.weight) (tolerance 5e-02): FAIL"),
        grad.out());
    assertTrue(
        grad.out().contains("loss: ") && grad.out().contains("(tolerance 1e-02): PASS"),
        grad.out());
    DevRun loss = DevRun.of("compare-grads", lossOff.toString(), ours.toString());
    assertEquals(1, loss.exitCode(), loss.out());
    assertTrue(
        loss.out().contains("relative difference 2.000e-02 (tolerance 1e-02): FAIL"), loss.out());
  }

  @Test
  void compareGradsWithAPeerGatesOnBeingNoFartherThanThePeer() throws Exception {
    assertEquals(0, make(tmp, 0).exitCode());
    Path reference = tmp.resolve("fp32.safetensors");
    assertEquals(0, grads(tmp, tmp.resolve("base"), reference).exitCode());
    String moved = "grad.base_model.model.model.layers.1.mlp.up_proj.lora_A.weight";
    // ACTUAL: one gradient 10 % off (relative L2 0.1), the rest exact; a close peer: every gradient
    // 5 % off; a far
    // peer: every gradient 20 % off and the loss 3 % off.
    Path actual =
        scaled(reference, tmp.resolve("actual.safetensors"), n -> n.equals(moved) ? 1.1f : 1f, 1f);
    Path close = scaled(reference, tmp.resolve("close.safetensors"), n -> 1.05f, 1f);
    Path far = scaled(reference, tmp.resolve("far.safetensors"), n -> 1.2f, 1.03f);
    DevRun fails =
        DevRun.of(
            "compare-grads", actual.toString(), reference.toString(), "--peer", close.toString());
    assertEquals(1, fails.exitCode(), fails.out());
    assertTrue(
        fails
                .out()
                .contains(
                    "relative L2 median 0.000e+00 vs peer 5.000e-02 x 1.10: PASS; worst 1.000e-01 (")
            && fails.out().contains("vs peer 5.000e-02 x 1.10: FAIL"),
        fails.out());
    DevRun passes =
        DevRun.of(
            "compare-grads", actual.toString(), reference.toString(), "--peer", far.toString());
    assertEquals(0, passes.exitCode(), passes.out());
    assertTrue(passes.out().strip().endsWith("PASS"), passes.out());
    // The peer's loss error widens the loss bound: 2 % off passes beside a peer 3 % off, fails
    // beside an exact one.
    Path lossOff = scaled(reference, tmp.resolve("loss.safetensors"), n -> 1f, 1.02f);
    assertEquals(
        0,
        DevRun.of(
                "compare-grads", lossOff.toString(), reference.toString(), "--peer", far.toString())
            .exitCode());
    DevRun lossFails =
        DevRun.of(
            "compare-grads", lossOff.toString(), reference.toString(), "--peer", close.toString());
    assertEquals(1, lossFails.exitCode(), lossFails.out());
    assertTrue(
        lossFails
            .out()
            .contains("relative difference 2.000e-02; peer 0.000e+00 (bound 1.000e-02): FAIL"),
        lossFails.out());
    DevRun badFactor =
        DevRun.of(
            "compare-grads",
            actual.toString(),
            reference.toString(),
            "--peer",
            far.toString(),
            "--peer-factor",
            "0");
    assertEquals(2, badFactor.exitCode());
    assertTrue(
        badFactor.err().contains("--peer-factor is 0.0, expected a positive number."),
        badFactor.err());
  }

  /**
   * A copy of a loss-and-gradients file with each gradient scaled by {@code factor(name)} and the
   * loss by {@code loss}.
   */
  private static Path scaled(Path from, Path to, ToDoubleFunction<String> factor, float loss)
      throws Exception {
    try (SafeTensorsFile f = SafeTensorsFile.open(from)) {
      SafeTensorsWriter w = SafeTensorsWriter.create();
      for (String n : f.names()) {
        float[] v = f.floats(n);
        float k = n.equals("loss") ? loss : (float) factor.applyAsDouble(n);
        for (int i = 0; i < v.length; i++) v[i] *= k;
        w.addFloats(n, f.info(n).shape(), v, SafeTensorsDtype.F32);
      }
      w.write(to);
    }
    return to;
  }

  @Test
  void userErrorsAreOneSentence() throws Exception {
    DevRun shape =
        DevRun.of(
            "make-random-model", "--shape", "llama-70b", "--out", tmp.resolve("x").toString());
    assertEquals(2, shape.exitCode());
    assertTrue(
        shape.err().contains("--shape is \"llama-70b\", expected llama-1b or llama2-7b or tiny."),
        shape.err());
    assertEquals(0, make(tmp, 0).exitCode());
    assertEquals(0, make(tmp, 0).exitCode(), "its own earlier output is replaced");
    Files.createDirectories(tmp.resolve("theirs/base"));
    Files.writeString(tmp.resolve("theirs/base/notes.txt"), "mine");
    DevRun again = make(tmp.resolve("theirs"), 0);
    assertEquals(2, again.exitCode());
    assertTrue(
        again
            .err()
            .contains(
                "--out "
                    + tmp.resolve("theirs/base")
                    + " already holds files that lorakit did not write"),
        again.err());
    assertEquals("mine", Files.readString(tmp.resolve("theirs/base/notes.txt")));
    DevRun seq =
        DevRun.of(
            "make-random-model",
            "--shape",
            "tiny",
            "--out",
            tmp.resolve("y").toString(),
            "--batch-out",
            tmp.resolve("y.safetensors").toString(),
            "--seq",
            "1");
    assertEquals(2, seq.exitCode());
    assertFalse(Files.exists(tmp.resolve("y")), "nothing written for a bad batch");
    DevRun noBatch =
        DevRun.of(
            "lora-grads",
            "--model",
            tmp.resolve("base").toString(),
            "--adapter",
            tmp.resolve("adapter").toString(),
            "--batch",
            tmp.resolve("base/model.safetensors").toString(),
            "--device",
            "cpu",
            "--out",
            tmp.resolve("z.safetensors").toString());
    assertEquals(2, noBatch.exitCode());
    assertTrue(noBatch.err().contains("has no tensor \"input_ids\"."), noBatch.err());
    DevRun notGrads =
        DevRun.of(
            "compare-grads",
            tmp.resolve("batch.safetensors").toString(),
            tmp.resolve("batch.safetensors").toString());
    assertEquals(2, notGrads.exitCode());
    assertTrue(notGrads.err().contains("has no tensor \"loss\"."), notGrads.err());
  }

  /** Parameters held by a model folder's weight files. */
  private static final class ModelFolderSize {
    static long of(ModelFolder folder) throws Exception {
      long n = 0;
      try (SafeTensorsFile f =
          SafeTensorsFile.open(folder.path().resolve(SafeTensors.SINGLE_FILE))) {
        for (String name : f.names()) {
          long size = 1;
          for (long d : f.info(name).shape()) size *= d;
          n += size;
        }
      }
      return n;
    }
  }
}
