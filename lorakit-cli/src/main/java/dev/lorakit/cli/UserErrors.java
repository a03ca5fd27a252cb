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
