package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.eval.cases.CaseSummary;
import dev.lorakit.eval.synth.SyntheticCases;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorakit synth}: writes a file of synthetic radiation-oncology cases. */
@Command(
    name = "synth",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Writes clinically plausible synthetic radiation-oncology cases as JSONL "
          + "(id, diagnosis, regimen, modality, icd10), the format a hospital's own export would use.",
      "The same seed gives a byte-identical file. Sources of the rules: docs/SYNTHETIC_DATA.md."
    })
final class SynthCommand implements Callable<Integer> {

  @Option(
      names = "--n",
      required = true,
      paramLabel = "COUNT",
      description = "Number of cases, e.g. 5000.")
  int n;

  @Option(
      names = "--seed",
      defaultValue = "7",
      paramLabel = "SEED",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "The JSONL file to write (its folder is created if needed).")
  Path out;

  @Option(
      names = "--overwrite",
      description = "Replace --out if it exists (default: ${DEFAULT-VALUE}).")
  boolean overwrite;

  @Option(
      names = "--noise",
      defaultValue = "0.05",
      paramLabel = "RATE",
      description =
          "Label-noise rate, 0 to 1: the share of cases whose plan is swapped for another plausible one "
              + "(default: ${DEFAULT-VALUE}).")
  double noise;

  @Option(
      names = "--stats",
      description = "Also print the modality mix and the ICD-10 codes and sites covered.")
  boolean stats;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (n < 1)
      throw new LorakitInputException(
          "--n is " + n + ", expected a whole number of cases of at least 1.");
    if (!(noise >= 0 && noise <= 1))
      throw new LorakitInputException("--noise is " + noise + ", expected 0 to 1.");
    Cli.requireNewFile(out, "--out", overwrite);
    long start = System.nanoTime();
    List<Case> cases = new SyntheticCases(seed, noise).generate(n);
    Cli.createParentFolder(out, "--out");
    CaseFile.write(out, cases);
    double seconds = (System.nanoTime() - start) / 1e9;
    PrintWriter o = spec.commandLine().getOut();
    o.printf(
        Locale.ROOT,
        "wrote %d cases to %s (seed %d, noise %s) in %.2f s%n",
        n,
        out,
        seed,
        noise,
        seconds);
    if (stats) {
      o.println();
      o.print(CaseSummary.of(cases).format());
    }
    o.flush();
    return 0;
  }
}
