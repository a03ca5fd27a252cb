package dev.lorakit.cuda;

/**
 * The lorakit op being run, so that a failing CUDA call deep inside can say which op it served. One
 * per backend; a backend is used by one thread at a time.
 */
final class OpName {
  private String current = "initialisation";

  void set(String op) {
    current = op;
  }

  String get() {
    return current;
  }
}
