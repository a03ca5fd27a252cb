package dev.lorakit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorakit.core.io.AtomicFile;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The full configuration of a training run, {@code training_args.json}: written with the
 * checkpoints when the run starts and beside the adapter when it ends, so that {@code --resume} can
 * refuse to continue a run with other data or other settings, and a reader can tell how an adapter
 * was made. Keys are the command's option names (without the dashes); {@code data_sha256}
 * identifies the data's content and {@code lorakit_version} the program.
 */
final class TrainingArgs {

  static final String FILE = "training_args.json";

  /** Keys that do not change what is computed, so a resumed run may differ in them. */
  private static final Set<String> NOT_COMPARED =
      Set.of(
          "lorakit_version",
          "device",
          "checkpoint_every",
          "keep_checkpoints",
          "activation_checkpointing");

  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingArgs() {}

  /**
   * The configuration of a run with these inputs and settings; {@code steps} below 0: not known
   * yet.
   */
  static ObjectNode of(
      Path model,
      Path data,
      List<Task> tasks,
      PromptTemplates templates,
      TrainSettings s,
      Precision precision,
      String device,
      int steps)
      throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("lorakit_version", Main.version());
    n.put("model", model.toAbsolutePath().normalize().toString());
    n.put("data", data.toAbsolutePath().normalize().toString());
    n.put("data_sha256", sha256(data));
    n.put("task", String.join(",", tasks.stream().map(Task::answerField).toList()));
    ObjectNode t = n.putObject("templates");
    for (Task task : tasks) t.put(task.answerField(), templates.template(task).text());
    n.put("lora_r", s.loraR());
    n.put("lora_alpha", s.loraAlpha());
    n.put("lora_dropout", s.loraDropout());
    n.put("target_modules", String.join(",", s.targetModules()));
    n.put("use_rslora", s.useRslora());
    n.put("lr", s.lr());
    n.put("schedule", s.schedule());
    n.put("warmup", s.warmup());
    n.put("epochs", s.epochs());
    n.put("max_steps", s.maxSteps());
    if (steps >= 0) n.put("steps", steps);
    n.put("batch_size", s.batchSize());
    n.put("grad_accum", s.gradAccum());
    n.put("max_seq_len", s.maxSeqLen());
    n.put("weight_decay", s.weightDecay());
    n.put("max_grad_norm", s.maxGradNorm());
    n.put("seed", s.seed());
    n.put("skip_nonfinite", s.skipNonFinite());
    n.put("precision", precision.label());
    n.put("device", device);
    n.put("checkpoint_every", s.checkpointEvery());
    n.put("keep_checkpoints", s.keepCheckpoints());
    n.put("activation_checkpointing", s.activationCheckpointing());
    return n;
  }

  /**
   * The first setting in which the run {@code now} differs from the run {@code saved}, as a phrase
   * naming the option and both values; null when they are the same run.
   */
  static String firstDifference(JsonNode saved, JsonNode now) {
    for (Map.Entry<String, JsonNode> e : saved.properties()) {
      // A setting the run had and this one leaves out (validation, a chat template); "steps" is not
      // known early.
      String key = e.getKey();
      if (!now.has(key) && !NOT_COMPARED.contains(key) && !key.equals("steps")) {
        return key.endsWith("_sha256")
            ? "--" + key.replace("_sha256", "").replace('_', '-') + " (given then, not now)"
            : "--" + key.replace('_', '-') + " (" + text(e.getValue()) + " then, nothing now)";
      }
    }
    for (Map.Entry<String, JsonNode> e : now.properties()) {
      String key = e.getKey();
      if (NOT_COMPARED.contains(key)) continue;
      JsonNode was = saved.get(key);
      if (was == null || !same(was, e.getValue())) {
        String wasText = was == null ? "nothing" : text(was);
        return switch (key) {
          case "data_sha256" ->
              "the contents of --data (SHA-256 "
                  + shorten(wasText)
                  + " then, "
                  + shorten(text(e.getValue()))
                  + " now)";
          case "eval_data_sha256" ->
              "the contents of --eval-data (SHA-256 "
                  + shorten(wasText)
                  + " then, "
                  + shorten(text(e.getValue()))
                  + " now)";
          case "templates" ->
              "the prompt templates (" + wasText + " then, " + text(e.getValue()) + " now)";
          case "steps" ->
              "the number of steps (" + wasText + " then, " + text(e.getValue()) + " now)";
          default ->
              "--"
                  + key.replace('_', '-')
                  + " ("
                  + wasText
                  + " then, "
                  + text(e.getValue())
                  + " now)";
        };
      }
    }
    return null;
  }

  private static boolean same(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) return a.asDouble() == b.asDouble();
    return a.equals(b);
  }

  private static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : n.toString();
  }

  private static String shorten(String hash) {
    return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
  }

  static ObjectNode read(Path file) throws IOException {
    JsonNode n;
    try {
      n = JSON.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + " is not valid JSON; it was not written by lorakit train.");
    }
    if (!(n instanceof ObjectNode o))
      throw new IOException(file + " is not a JSON object; it was not written by lorakit train.");
    return o;
  }

  static void write(Path file, ObjectNode args) throws IOException {
    try (AtomicFile f = AtomicFile.create(file)) {
      f.write(
          ByteBuffer.wrap(
              (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(args) + "\n")
                  .getBytes(StandardCharsets.UTF_8)));
      f.commit();
    }
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java has no SHA-256", e);
    }
  }
}
