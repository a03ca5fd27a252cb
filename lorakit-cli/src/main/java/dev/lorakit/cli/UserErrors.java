package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Turns the exceptions a user can cause ({@link LorakitInputException}, I/O errors, bad options, an
 * exhausted heap) into one sentence on stderr and exit status 2. Anything else, an {@link
 * IllegalArgumentException} or {@link IllegalStateException} included, is a bug in lorakit: its
 * stack trace goes to stderr and the exit status is 1.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(
      Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
    Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (isUserError(t)) {
      cl.getErr().println(prefix(cl) + sentence(t));
      cl.getErr().flush();
      return Main.USER_ERROR;
    }
    PrintWriter err = cl.getErr();
    err.println(
        prefix(cl) + "internal error (a bug in lorakit; please report it with what follows):");
    ex.printStackTrace(err);
    err.flush();
    return Main.BUG;
  }

  /** A bad option or argument: one sentence on stderr (no usage dump), exit status 2. */
  static int badArguments(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    if (cl.getParent() == null
        && ex instanceof CommandLine.UnmatchedArgumentException u
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      String word = u.getUnmatched().get(0);
      List<String> close =
          u.getSuggestions().stream().filter(cl.getSubcommands()::containsKey).limit(1).toList();
      String program = cl.getCommandName();
      cl.getErr()
          .println(
              program
                  + ": '"
                  + word
                  + "' is not a "
                  + program
                  + " command"
                  + (close.isEmpty() ? "" : "; did you mean " + close.get(0) + "?")
                  + " (see '"
                  + program
                  + " --help').");
      return Main.USER_ERROR;
    }
    String m = ex.getMessage() == null ? "bad arguments" : ex.getMessage().strip();
    if (m.endsWith(".")) m = m.substring(0, m.length() - 1);
    cl.getErr().println(prefix(cl) + m + " (see '" + name(cl) + " --help').");
    return Main.USER_ERROR;
  }

  /** What lorakit says when the heap is exhausted, which is the size of the work, not a bug. */
  static int outOfMemory(CommandLine cl) {
    long max = Runtime.getRuntime().maxMemory();
    String heap =
        max >= 1L << 30
            ? String.format(Locale.ROOT, "%.1f GiB", max / (double) (1L << 30))
            : (max >> 20) + " MiB";
    CommandLine.Model.OptionSpec m = cl.getCommandSpec().findOption("--model");
    CommandLine.Model.OptionSpec r = cl.getCommandSpec().findOption("--lora-r");
    String model = m != null && m.getValue() != null ? " " + m.getValue() : "";
    String rank = r != null ? " (--lora-r " + r.getValue() + ")" : "";
    cl.getErr()
        .println(
            prefix(cl)
                + "out of memory: the model"
                + model
                + ", its LoRA matrices"
                + rank
                + " and the batch do not fit in the "
                + heap
                + " Java heap (-Xmx); use a smaller model, rank or batch, or give"
                + " Java more memory with LORAKIT_JAVA_OPTS=-Xmx<size>g.");
    cl.getErr().flush();
    return Main.USER_ERROR;
  }

  /**
   * A problem in what the user gave (a file, data, a setting) or in the files around them: not a
   * bug.
   */
  static boolean isUserError(Throwable t) {
    return t instanceof LorakitInputException || t instanceof IOException;
  }

  /**
   * The command as the user typed it: the program ({@code lorakit}, or {@code lorakit-dev}, which
   * shares this handling) and the command that failed.
   */
  private static String name(CommandLine cl) {
    String program = root(cl).getCommandName();
    return cl.getParent() == null ? program : program + " " + cl.getCommandName();
  }

  private static CommandLine root(CommandLine cl) {
    CommandLine root = cl;
    while (root.getParent() != null) root = root.getParent();
    return root;
  }

  private static String prefix(CommandLine cl) {
    return name(cl) + ": ";
  }

  /** The exception as a sentence that names the file and says what is wrong with it. */
  static String sentence(Throwable t) {
    if (t instanceof NoSuchFileException n) return "no such file: " + n.getFile() + ".";
    if (t instanceof FileAlreadyExistsException e) return e.getFile() + " already exists.";
    if (t instanceof AccessDeniedException e) return e.getFile() + ": permission denied.";
    if (t instanceof NotDirectoryException e) return e.getFile() + " is not a folder.";
    if (t instanceof DirectoryNotEmptyException e)
      return e.getFile() + " is a folder that is not empty.";
    if (t instanceof FileSystemException e) {
      String what = e.getFile() + (e.getOtherFile() == null ? "" : " -> " + e.getOtherFile());
      return what
          + ": "
          + (e.getReason() == null ? "the file system refused it" : e.getReason())
          + ".";
    }
    if (t instanceof CharacterCodingException) return "an input file is not UTF-8 text.";
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
