package dev.lorakit.core.train;

import dev.lorakit.core.backend.Backend;

/**
 * One training sequence: token ids and, for each, the label the loss sees there (Hugging Face's
 * convention: the label of a token is the token itself, the loss shifts; {@link
 * Backend#IGNORE_INDEX} where nothing is learned).
 *
 * @param ids token ids
 * @param labels one label per token
 */
public record Example(int[] ids, int[] labels) {

  public Example {
    if (ids.length == 0 || ids.length != labels.length) {
      throw new IllegalArgumentException(
          "An example needs as many labels as token ids (at least one); got "
              + ids.length
              + " ids and "
              + labels.length
              + " labels.");
    }
    ids = ids.clone();
    labels = labels.clone();
  }

  /** A prompt and its completion: only the completion's tokens are learned (prompt masking). */
  public static Example promptCompletion(int[] prompt, int[] completion) {
    int[] ids = new int[prompt.length + completion.length];
    int[] labels = new int[ids.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    for (int i = 0; i < ids.length; i++) {
      labels[i] = i < prompt.length ? Backend.IGNORE_INDEX : ids[i];
    }
    return new Example(ids, labels);
  }

  @Override
  public int[] ids() {
    return ids.clone();
  }

  @Override
  public int[] labels() {
    return labels.clone();
  }

  int length() {
    return ids.length;
  }
}
