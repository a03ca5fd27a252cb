package dev.lorakit.cli;

import dev.lorakit.eval.report.ModelAcceptance;
import dev.lorakit.eval.report.ReviewSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorakit review-summary}: the acceptable share per model from a filled clinician review
 * sheet.
 */
@Command(
    name = "review-summary",
    mixinStandardHelpOptions = true,
    description =
        "Reads a filled clinician review sheet and its key; prints the acceptable share per model with a 95%% Wilson interval.")
final class ReviewSummaryCommand implements Runnable {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--sheet",
      required = true,
      paramLabel = "clinician_review.csv",
      description = "The filled review sheet.")
  Path sheet;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "clinician_review_key.csv",
      description = "The key mapping row ids to models.")
  Path key;

  @Override
  public void run() {
    List<ModelAcceptance> rows;
    try {
      rows = ReviewSummary.read(sheet, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PrintWriter out = spec.commandLine().getOut();
    int width = Math.max(5, rows.stream().mapToInt(r -> r.model().length()).max().orElse(0));
    String fmt = "%-" + width + "s  %10s  %8s  %7s  %7s  %s%n";
    out.printf(
        Locale.ROOT, fmt, "model", "acceptable", "reviewed", "pending", "share", "95% CI (Wilson)");
    for (ModelAcceptance r : rows) {
      String share =
          r.share() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.share().estimate());
      String ci =
          r.share() == null
              ? "-"
              : String.format(Locale.ROOT, "[%.3f, %.3f]", r.share().lower(), r.share().upper());
      out.printf(Locale.ROOT, fmt, r.model(), r.acceptable(), r.reviewed(), r.pending(), share, ci);
    }
    out.flush();
  }
}
