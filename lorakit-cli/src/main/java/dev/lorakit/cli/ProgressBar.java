package dev.lorakit.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of long work on stderr: on a terminal one line redrawn in place; otherwise (a log file,
 * CI) a plain line every few seconds and at the end.
 */
final class ProgressBar {

  private static final int WIDTH = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private final String label;
  private final long plainEveryNanos;
  private final long start = System.nanoTime();
  private long lastDrawn;
  private int lastLength;

  ProgressBar(PrintWriter out, boolean terminal, String label, double plainEverySeconds) {
    this.out = out;
    this.terminal = terminal;
    this.label = label;
    this.plainEveryNanos = (long) (plainEverySeconds * 1e9);
    this.lastDrawn = start - plainEveryNanos;
  }

  /** Whether stderr is an interactive terminal. */
  static boolean stderrIsTerminal() {
    Console c = System.console();
    return c != null && c.isTerminal();
  }

  /**
   * {@code done} of {@code total}, with details such as the loss; redrawn at most 10 times a
   * second.
   */
  void update(int done, int total, String details) {
    long now = System.nanoTime();
    boolean last = done >= total;
    if (!last && now - lastDrawn < (terminal ? 100_000_000L : plainEveryNanos)) return;
    lastDrawn = now;
    double elapsed = (now - start) / 1e9;
    double eta = done == 0 ? Double.NaN : elapsed / done * (total - done);
    String line =
        String.format(
            Locale.ROOT,
            "%s %s %d/%d %s | %s elapsed, ETA %s",
            label,
            bar(done, total),
            done,
            total,
            details,
            duration(elapsed),
            duration(eta));
    if (terminal) {
      out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
      if (last) out.println();
    } else {
      out.println(line);
    }
    out.flush();
  }

  private static String bar(int done, int total) {
    int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
    return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "]";
  }

  static String duration(double seconds) {
    if (!Double.isFinite(seconds)) return "--:--";
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
