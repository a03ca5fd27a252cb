package dev.lorakit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lorakit} command. Each task is a subcommand; a user error prints one sentence and exits 2. */
@Command(
    name = "lorakit",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "LoRA fine-tuning of LLaMA- and Mistral-family models, and the radiation-oncology task suite.",
    subcommands = {
      CommandLine.HelpCommand.class,
      DemoCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      GenerateCommand.class,
      MergeCommand.class,
      TokenizeCommand.class,
      SynthCommand.class,
      ScoreCommand.class,
      StatsCommand.class,
      ReviewSummaryCommand.class,
      VerifyReferenceCommand.class,
      BenchTrainCommand.class,
      MakeRandomModelCommand.class,
      LoraGradsCommand.class,
      CompareGradsCommand.class
    })
public final class Main implements Runnable {

  /** Exit status for an error the user can fix (bad file, bad argument, bad configuration). */
  public static final int USER_ERROR = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and the tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(new UserErrors());
    cl.setParameterExceptionHandler(UserErrors::badArguments);
    return cl;
  }

  /** Reads the version Maven wrote into {@code version.properties}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "lorakit " + Provenance.version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
