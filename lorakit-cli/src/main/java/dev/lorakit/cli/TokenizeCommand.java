package dev.lorakit.cli;

import dev.lorakit.models.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lorakit tokenize}: the token ids of a text, to check what a model will actually see. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = "Prints the token ids of TEXT on one line, space separated, BOS first.")
final class TokenizeCommand implements Callable<Integer> {

  @Option(
      names = "--tokenizer",
      required = true,
      paramLabel = "PATH",
      description = "A Hugging Face tokenizer.json, or the model folder that holds one.")
  Path tokenizer;

  @Option(names = "--no-bos", description = "Leave out the beginning-of-sequence token.")
  boolean noBos;

  @Parameters(index = "0", paramLabel = "TEXT", description = "The text to tokenize (quote it).")
  String text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    try (Tokenizer t = Tokenizer.open(tokenizer)) {
      int[] ids = t.encode(text, !noBos);
      spec.commandLine()
          .getOut()
          .println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
    }
    return 0;
  }
}
