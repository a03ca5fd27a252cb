package dev.lorakit.cli;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns the exceptions a user can cause into one sentence on stderr and exit status 2. Anything else is a
 * bug in lorakit and keeps its stack trace.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
    Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (isUserError(t)) {
      cl.getErr().println("lorakit " + cl.getCommandName() + ": " + sentence(t));
      return Main.USER_ERROR;
    }
    throw new RuntimeException(ex);
  }

  /** A bad option or argument: one sentence on stderr (no usage dump), exit status 2. */
  static int badArguments(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    String m = ex.getMessage() == null ? "bad arguments" : ex.getMessage().strip();
    if (m.endsWith(".")) m = m.substring(0, m.length() - 1);
    cl.getErr().println("lorakit " + cl.getCommandName() + ": " + m + " (see 'lorakit " + cl.getCommandName()
        + " --help').");
    return Main.USER_ERROR;
  }

  static boolean isUserError(Throwable t) {
    return t instanceof IllegalArgumentException
        || t instanceof NoSuchFileException
        || t instanceof FileNotFoundException
        || t instanceof java.io.IOException;
  }

  private static String sentence(Throwable t) {
    if (t instanceof NoSuchFileException n) return "no such file: " + n.getFile() + ".";
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
