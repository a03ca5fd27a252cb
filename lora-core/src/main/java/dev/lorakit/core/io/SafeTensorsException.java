package dev.lorakit.core.io;

import java.io.IOException;

/**
 * A safetensors file, or a sharded checkpoint's index, breaks a rule of the format. The message is
 * one sentence that names the file, the tensor when there is one, and the rule that was broken.
 */
public class SafeTensorsException extends IOException {
  private static final long serialVersionUID = 1L;

  public SafeTensorsException(String message) {
    super(message);
  }

  public SafeTensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
