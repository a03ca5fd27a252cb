package dev.lorakit.core;

/**
 * A problem the user of lorakit caused and can fix: a missing or malformed file, data that does not
 * fit the model, a setting out of range, a request the machine cannot hold. The message is one
 * sentence that names the culprit (a path, a field, a value) in the words of the library, not of
 * any command line; a program shows it as it is, without a stack trace.
 *
 * <p>A broken internal contract (a shape that lorakit itself got wrong, an op called in the wrong
 * state) is not this: it stays an {@link IllegalArgumentException} or {@link IllegalStateException}
 * and keeps its stack trace.
 */
public class LorakitInputException extends RuntimeException {

  public LorakitInputException(String message) {
    super(message);
  }

  public LorakitInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
