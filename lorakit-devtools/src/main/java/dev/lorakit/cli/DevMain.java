package dev.lorakit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lorakit-dev} command: development tools beside the {@code lorakit} command, with its
 * error handling (one sentence and exit 2 for what the user can fix). Never part of the lorakit
 * command itself.
 */
@Command(
    name = "lorakit-dev",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "lorakit's development tools: benchmarks, random models and gradient comparisons.",
    subcommands = {
      CommandLine.HelpCommand.class,
      BenchTrainCommand.class,
      MakeRandomModelCommand.class,
      LoraGradsCommand.class,
      CompareGradsCommand.class
    })
public final class DevMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and the tests. */
  static CommandLine commandLine() {
    return Main.configure(new CommandLine(new DevMain()));
  }
}
