package dev.lorakit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.lora.LoraConfig;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.core.train.TrainingRun;
import dev.lorakit.core.train.Validation;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** train's option defaults are the library's builders' defaults, and --help shows them. */
class TrainDefaultsTest {

  @Test
  void theOptionsDefaultToTheLibrarysDefaultsAndHelpShowsThem() {
    CommandLine cl = Main.commandLine();
    cl.parseArgs("train", "--model", "m", "--data", "d", "--out", "o");
    CommandLine train = cl.getSubcommands().get("train");
    TrainCommand cmd = train.getCommand();
    LoraConfig lora = LoraConfig.builder().build();
    assertEquals(lora.r(), cmd.loraR);
    assertEquals(lora.loraAlpha(), cmd.loraAlpha);
    assertEquals(lora.loraDropout(), cmd.loraDropout);
    assertEquals(List.of(LoraConfig.DEFAULT_TARGET_MODULES.split(",")), cmd.targetModules);
    Trainer.Settings s = Trainer.Settings.builder().steps(1).build();
    assertEquals(s.batchSize(), cmd.batchSize);
    assertEquals(s.gradAccum(), cmd.gradAccum);
    assertEquals(s.maxGradNorm(), cmd.maxGradNorm);
    assertEquals(s.seed(), cmd.seed);
    assertEquals(Trainer.Settings.DEFAULT_LR, cmd.lr);
    assertEquals(Trainer.Settings.DEFAULT_SCHEDULE, cmd.schedule);
    assertEquals(Trainer.Settings.DEFAULT_WARMUP, cmd.warmup);
    assertEquals(AdamW.Settings.defaults().weightDecay(), cmd.weightDecay);
    assertEquals(0.0, cmd.weightDecay, "transformers' weight_decay, not torch's 0.01");
    assertEquals(TrainingRun.DEFAULT_CHECKPOINT_EVERY, cmd.checkpointEvery);
    assertEquals(TrainingRun.DEFAULT_KEEP_CHECKPOINTS, cmd.keepCheckpoints);
    String help = train.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
    assertTrue(help.contains("AdamW's decoupled weight decay (default: 0.0)"), help);
    assertTrue(help.contains("LoRA rank (default: 16)"), help);
    assertTrue(
        help.contains(
            "older ones are deleted (default: " + TrainingRun.DEFAULT_KEEP_CHECKPOINTS + ")"),
        help);
    assertTrue(help.contains("Gradient clipping threshold, 0 for none (default: 1.0)"), help);
    assertTrue(
        help.contains(
            "the last step is always measured (default: "
                + Validation.Settings.DEFAULT_EVERY
                + ")"),
        help);
  }
}
