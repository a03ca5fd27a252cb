package dev.lorakit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.CpuBackend;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face model folder turned into the engine's DecoderConfig and DecoderWeights. */
class ModelFolderDecoderTest {

  private static final CpuBackend BE = new CpuBackend(2);

  @AfterAll
  static void close() {
    BE.close();
  }

  @Test
  void thePublishedConfigsGiveTheEngineTheirShapeWindowAndLength() throws IOException {
    DecoderConfig llama =
        ModelConfig.read(Fixtures.resource("configs/llama-2-7b/config.json")).decoderConfig();
    assertEquals(
        new DecoderConfig(32000, 4096, 11008, 32, 32, 32, 128, 10000, 1e-5, 0, false, 4096), llama);
    DecoderConfig mistral =
        ModelConfig.read(Fixtures.resource("configs/mistral-7b-v0.1/config.json")).decoderConfig();
    assertEquals(
        new DecoderConfig(32000, 4096, 14336, 32, 32, 8, 128, 10000, 1e-5, 4096, false, 32768),
        mistral);
  }

  @Test
  void aShardedTiedMistralFolderBecomesDecoderWeights(@TempDir Path dir) throws IOException {
    Path folderDir = new SyntheticCheckpoint(true).writeSharded(dir.resolve("m"), 3);
    try (ModelFolder folder = ModelFolder.open(folderDir)) {
      DecoderConfig c = folder.decoderConfig();
      assertEquals(4, c.slidingWindow());
      assertEquals(1, c.kvHeads());
      DecoderWeights w = folder.decoderWeights(BE);
      try {
        ModelWeights mw = folder.weights();
        assertArrayEquals(
            mw.floats(mw.layer(1, LayerWeight.K_PROJ)), BE.download(w.layers().get(1).k()));
        assertArrayEquals(
            mw.floats(mw.layer(0, LayerWeight.DOWN_PROJ)), BE.download(w.layers().get(0).down()));
        assertArrayEquals(mw.floats(mw.finalNorm()), BE.download(w.norm()));
        assertSame(w.embed(), w.lmHead(), "tied: lm_head is the embedding");
        try (Decoder d = new Decoder(c, w, BE)) {
          // Ten tokens: longer than the window of 4, so the window is in play.
          assertEquals(
              10 * 40,
              BE.download(d.forward(new int[] {1, 5, 9, 2, 7, 3, 3, 8, 0, 39}, 1).logits()).length);
          LorakitInputException e =
              assertThrows(LorakitInputException.class, () -> d.forward(new int[] {40}, 1));
          assertEquals(
              "Token id 40 at position 0 is outside the model's vocabulary of 40 tokens (ids 0 to 39).",
              e.getMessage());
        }
      } finally {
        w.close();
      }
    }
  }
}
