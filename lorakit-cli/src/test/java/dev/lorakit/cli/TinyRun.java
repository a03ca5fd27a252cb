package dev.lorakit.cli;

import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.eval.cases.Case;
import dev.lorakit.eval.cases.CaseFile;
import dev.lorakit.models.TinyModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny random model folder and a case file beside it: what the CLI tests train, evaluate and
 * break.
 */
record TinyRun(Path model, Path data) {

  /**
   * Writes {@code dir/model} (width 32, one block, two heads, from {@code modelSeed}) and {@code
   * dir/cases.jsonl}.
   */
  static TinyRun write(Path dir, long modelSeed, List<Case> cases) throws IOException {
    Path model = dir.resolve("model");
    new TinyModel(32, 64, 1, 2).write(model, modelSeed, SafeTensorsDtype.F32);
    Path data = dir.resolve("cases.jsonl");
    CaseFile.write(data, cases);
    return new TinyRun(model, data);
  }

  /**
   * train's arguments: the modality task in batches of 2 on the CPU into {@code out}, then {@code
   * settings} and {@code more}.
   */
  String[] train(Path out, List<String> settings, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--task",
                "modality",
                "--out",
                out.toString(),
                "--batch-size",
                "2",
                "--device",
                "cpu"));
    a.addAll(settings);
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }
}
