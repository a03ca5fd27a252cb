package dev.lorakit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.metrics.AnswerFile;
import dev.lorakit.eval.metrics.AveragedScores;
import dev.lorakit.eval.metrics.ClassScores;
import dev.lorakit.eval.metrics.TaskScore;
import dev.lorakit.eval.metrics.TaskScorer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lorakit score}: scores a predictions file against a references file for one task. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    description = {
      "Scores predictions against references: accuracy, ROUGE-1, per-class and averaged precision/recall/F1.",
      "Both files are JSONL, one {\"id\", \"<task>\"} object per line, matched by id; a case file serves as "
          + "references, and the answers.jsonl of eval as predictions."
    })
final class ScoreCommand implements Runnable {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--task", required = true, description = "regimen, modality or icd10.")
  String task;

  @Option(
      names = "--references",
      required = true,
      paramLabel = "R.jsonl",
      description = "Reference answers.")
  Path references;

  @Option(
      names = "--predictions",
      required = true,
      paramLabel = "P.jsonl",
      description = "Predicted answers.")
  Path predictions;

  @Option(
      names = "--answers-of",
      paramLabel = "MODEL",
      description =
          "With the answers.jsonl of eval --compare-base: which model's answers to score (base or LoRA).")
  String answersOf;

  @Option(
      names = "--stemmer",
      description = "Porter-stem tokens for ROUGE-1 (rouge-score's use_stemmer).")
  boolean stemmer;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Override
  public void run() {
    Task t = Task.fromName(task);
    TaskScore s;
    try {
      Map<String, String> ref = AnswerFile.read(references, t.answerField());
      Map<String, String> pred = AnswerFile.read(predictions, t.answerField(), answersOf);
      s = new TaskScorer(t, stemmer).score(ref, pred);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) out.println(toJson(s));
    else printTable(s, out);
    out.flush();
  }

  static ObjectNode toJson(TaskScore s) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode o = m.createObjectNode();
    o.put("n", s.n());
    o.put("accuracy", s.accuracy());
    ObjectNode rouge = o.putObject("rouge1");
    rouge.put("precision", s.rouge1().precision());
    rouge.put("recall", s.rouge1().recall());
    rouge.put("fmeasure", s.rouge1().fmeasure());
    ObjectNode perClass = o.putObject("per_class");
    for (ClassScores c : s.prf().perClass()) {
      ObjectNode n = perClass.putObject(c.label());
      n.put("precision", c.precision());
      n.put("recall", c.recall());
      n.put("f1", c.f1());
      n.put("support", c.support());
    }
    averaged(o.putObject("micro"), s.prf().micro());
    averaged(o.putObject("macro"), s.prf().macro());
    averaged(o.putObject("weighted"), s.prf().weighted());
    ArrayNode unparsed = o.putArray("unparsed");
    s.unparsed().forEach(unparsed::add);
    return o;
  }

  private static void averaged(ObjectNode o, AveragedScores a) {
    o.put("precision", a.precision());
    o.put("recall", a.recall());
    o.put("f1", a.f1());
  }

  private static void printTable(TaskScore s, PrintWriter out) {
    out.printf(
        Locale.ROOT, "task %s, %d cases, %d unparsed%n", s.task(), s.n(), s.unparsed().size());
    out.printf(Locale.ROOT, "accuracy   %.4f%n", s.accuracy());
    out.printf(
        Locale.ROOT,
        "ROUGE-1    P %.4f  R %.4f  F %.4f%n",
        s.rouge1().precision(),
        s.rouge1().recall(),
        s.rouge1().fmeasure());
    int width = Math.max(8, s.prf().labels().stream().mapToInt(String::length).max().orElse(0));
    String row = "%-" + width + "s  %9s  %9s  %9s  %7s%n";
    out.printf(Locale.ROOT, row, "label", "precision", "recall", "f1", "support");
    for (ClassScores c : s.prf().perClass()) {
      out.printf(
          Locale.ROOT, row, c.label(), f(c.precision()), f(c.recall()), f(c.f1()), c.support());
    }
    out.printf(
        Locale.ROOT,
        row,
        "micro",
        f(s.prf().micro().precision()),
        f(s.prf().micro().recall()),
        f(s.prf().micro().f1()),
        "");
    out.printf(
        Locale.ROOT,
        row,
        "macro",
        f(s.prf().macro().precision()),
        f(s.prf().macro().recall()),
        f(s.prf().macro().f1()),
        "");
    out.printf(
        Locale.ROOT,
        row,
        "weighted",
        f(s.prf().weighted().precision()),
        f(s.prf().weighted().recall()),
        f(s.prf().weighted().f1()),
        "");
    if (!s.unparsed().isEmpty()) out.println("unparsed: " + String.join(", ", s.unparsed()));
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
