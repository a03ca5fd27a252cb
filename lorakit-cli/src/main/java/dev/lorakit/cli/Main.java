package dev.lorakit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lorakit} command. Each task is a subcommand; a user error prints one sentence and
 * exits 2.
 */
@Command(
    name = "lorakit",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "LoRA fine-tuning of LLaMA- and Mistral-family models, and the radiation-oncology task suite.",
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
      VerifyReferenceCommand.class
    })
public final class Main implements Runnable {

  /** Exit status for an error the user can fix (bad file, bad argument, bad configuration). */
  public static final int USER_ERROR = 2;

  /**
   * Exit status for a bug in lorakit (a broken internal contract); stderr holds the stack trace.
   */
  public static final int BUG = 1;

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
    return configure(new CommandLine(new Main()));
  }

  /**
   * {@code cl} with lorakit's handling of errors: one sentence and exit 2 for what the user can
   * fix.
   */
  static CommandLine configure(CommandLine cl) {
    cl.setExecutionExceptionHandler(new UserErrors());
    cl.setParameterExceptionHandler(UserErrors::badArguments);
    CommandLine.IExecutionStrategy run = new CommandLine.RunLast();
    cl.setExecutionStrategy(
        parsed -> {
          try {
            return run.execute(parsed);
          } catch (OutOfMemoryError e) {
            List<CommandLine> chain = parsed.asCommandLineList();
            return UserErrors.outOfMemory(chain.get(chain.size() - 1));
          }
        });
    return cl;
  }

  /** lorakit's version, as Maven wrote it into {@code version.properties}. */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version", "unknown");
  }

  /** The version line and the Java running it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "lorakit " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
