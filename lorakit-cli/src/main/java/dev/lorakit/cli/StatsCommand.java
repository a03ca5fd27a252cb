package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.eval.stats.Alternative;
import dev.lorakit.eval.stats.DifferencesCsv;
import dev.lorakit.eval.stats.Wilcoxon;
import dev.lorakit.eval.stats.WilcoxonMethod;
import dev.lorakit.eval.stats.WilcoxonResult;
import dev.lorakit.eval.stats.ZeroMethod;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lorakit stats}: significance tests on paired results. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = "Significance tests on paired per-case results.",
    subcommands = {StatsCommand.WilcoxonCommand.class})
final class StatsCommand implements Runnable {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code lorakit stats wilcoxon}: scipy's Wilcoxon signed-rank test on CSV input. */
  @Command(
      name = "wilcoxon",
      mixinStandardHelpOptions = true,
      description = {
        "Wilcoxon signed-rank test, as scipy.stats.wilcoxon computes it.",
        "Input: CSV with a header x,y (differences x - y) or d."
      })
  static final class WilcoxonCommand implements Runnable {

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--input",
        paramLabel = "FILE",
        defaultValue = "-",
        description = "CSV file, or - for standard input (default).")
    String input;

    @Option(
        names = "--alternative",
        defaultValue = "two-sided",
        description = "two-sided (default), greater or less.")
    String alternative;

    @Option(
        names = "--zero-method",
        defaultValue = "wilcox",
        description = "wilcox (default), pratt or zsplit.")
    String zeroMethod;

    @Option(
        names = "--correction",
        description = "Continuity correction for the normal approximation.")
    boolean correction;

    @Option(
        names = "--method",
        defaultValue = "auto",
        description = "auto (default), exact or asymptotic.")
    String method;

    @Option(names = "--json", description = "Print one JSON object: statistic, pvalue, method, n.")
    boolean json;

    @Override
    public void run() {
      Wilcoxon test =
          new Wilcoxon(
              ZeroMethod.parse(zeroMethod),
              correction,
              Alternative.parse(alternative),
              WilcoxonMethod.parse(method));
      double[] d;
      try (Reader in = open()) {
        d = DifferencesCsv.read(in, input.equals("-") ? "standard input" : input);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      WilcoxonResult r = test.test(d);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("statistic", r.statistic());
        o.put("pvalue", r.pvalue());
        o.put("method", r.method().spelling());
        o.put("n", r.n());
        out.println(o);
      } else {
        out.printf(
            Locale.ROOT,
            "Wilcoxon signed-rank test (%s, zero method %s%s)%n",
            test.alternative(),
            test.zeroMethod(),
            test.correction() ? ", continuity correction" : "");
        out.printf(Locale.ROOT, "n          %d%n", r.n());
        out.printf(Locale.ROOT, "statistic  %s%n", Double.toString(r.statistic()));
        out.printf(Locale.ROOT, "p-value    %s%n", Double.toString(r.pvalue()));
        out.printf(Locale.ROOT, "method     %s%n", r.method().spelling());
      }
      out.flush();
    }

    private Reader open() throws IOException {
      if (input.equals("-")) return new InputStreamReader(System.in, StandardCharsets.UTF_8);
      return Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }
  }
}
