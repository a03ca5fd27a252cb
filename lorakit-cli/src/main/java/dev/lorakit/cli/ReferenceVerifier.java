package dev.lorakit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraWeights;
import dev.lorakit.core.nn.Activations;
import dev.lorakit.core.nn.CausalLmLoss;
import dev.lorakit.core.nn.Decoder;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.Generator;
import dev.lorakit.core.nn.Sampler;
import dev.lorakit.core.optim.AdamW;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.Errors;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.models.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a Hugging Face reference folder through the engine and compares every quantity the reference
 * holds: {@code base/} (a model folder), {@code adapter_init/} (a PEFT adapter), {@code
 * reference.json} (what was run) and {@code reference.safetensors} (what came out; see the fixtures
 * README for the names). A quantity the reference does not hold is skipped with a note; a reference
 * that is inconsistent with its model is a user error.
 */
final class ReferenceVerifier {

  /**
   * The tolerances of one precision: relative L2 for tensors ({@code activations} for logits and
   * hidden states, {@code gradients} for LoRA gradients, {@code steps} for the LoRA weights after
   * the AdamW steps), absolute (or relative) error for losses. fp32 as the fixtures' README says.
   * bf16: 2e-2 for activations and losses; bf16 rounding of the saved activations and of the
   * backward's inputs moves LoRA gradients by 2-6% (measured with lora-models' Bf16ReferenceTest),
   * and AdamW's first steps are nearly sign steps of size lr, so a gradient element near zero that
   * changes sign moves its weight by 2 lr: 1e-1 for both, still far below a bug's O(1).
   */
  record Tolerances(
      String precision,
      double activations,
      double loss,
      boolean lossRelative,
      double gradients,
      double steps) {
    static Tolerances of(Precision precision) {
      return switch (precision) {
        case FP32 -> new Tolerances("fp32", 1e-5, 1e-5, false, 1e-4, 1e-4);
        case BF16 -> new Tolerances("bf16", 2e-2, 2e-2, true, 1e-1, 1e-1);
      };
    }
  }

  /** One compared quantity. */
  record Row(String quantity, String metric, double error, double tolerance) {
    /**
     * The metric of greedy decoding: how many tokens differ (including any difference in length).
     */
    static final String TOKENS = "tokens differ";

    boolean passed() {
      return error <= tolerance;
    }
  }

  /** What a verification found. */
  record Result(String summary, List<Row> rows, List<String> notes) {
    boolean passed() {
      return rows.stream().allMatch(Row::passed);
    }
  }

  private static final Pattern HIDDEN = Pattern.compile("base_hidden\\.(\\d+)");
  private static final Pattern STEP_LOSS = Pattern.compile("lora_loss\\.step(\\d+)");
  private static final Pattern AFTER = Pattern.compile("after(\\d+)\\.(.+)");

  private final Path dir;
  private final Backend backend;
  private final Precision precision;
  private final Tolerances tol;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  /** Reference tensors not yet compared; what is left at the end is reported as unchecked. */
  private final Set<String> unchecked = new LinkedHashSet<>();

  ReferenceVerifier(Path dir, Backend backend, Precision precision, Tolerances tol) {
    this.dir = dir;
    this.backend = backend;
    this.precision = precision;
    this.tol = tol;
  }

  Result run() throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString());
    }
    for (String required : List.of("base", "reference.json", "reference.safetensors")) {
      if (!Files.exists(dir.resolve(required))) {
        throw new IOException(
            dir
                + " is not a reference folder: it has no "
                + required
                + " (expected base/, adapter_init/, reference.json and reference.safetensors).");
      }
    }
    JsonNode run = readJson(dir.resolve("reference.json"));
    String summary;
    try (ModelFolder folder = ModelFolder.open(dir.resolve("base"));
        TensorSource ref = SafeTensorsFile.open(dir.resolve("reference.safetensors"))) {
      unchecked.addAll(ref.names());
      unchecked.removeAll(List.of("input_ids", "labels"));
      DecoderConfig c = folder.decoderConfig();
      long[] idsShape = ref.info(require(ref, "input_ids")).shape();
      if (idsShape.length != 2 && idsShape.length != 1) {
        throw malformed("input_ids", idsShape, "[batch, seq]");
      }
      int batch = idsShape.length == 2 ? Math.toIntExact(idsShape[0]) : 1;
      int seq = Math.toIntExact(idsShape[idsShape.length - 1]);
      int[] ids = ref.ints("input_ids");
      int[] labels = null;
      if (ref.contains("labels")) {
        expectShape(ref, "labels", idsShape);
        labels = ref.ints("labels");
      }
      summary =
          folder.config().modelType().configName()
              + ", "
              + c.layers()
              + " layers, hidden "
              + c.hidden()
              + ", heads "
              + c.heads()
              + "/"
              + c.kvHeads()
              + ", vocab "
              + c.vocab()
              + (c.slidingWindow() > 0 ? ", sliding window " + c.slidingWindow() : "")
              + "; batch "
              + batch
              + " x "
              + seq
              + " tokens; precision "
              + tol.precision()
              + " on "
              + backend.name();
      DecoderWeights weights = folder.decoderWeights(backend, precision);
      try (Decoder decoder = new Decoder(c, weights, backend, precision)) {
        base(decoder, ref, run, ids, labels, batch, seq);
        lora(decoder, ref, run, ids, labels, batch, seq);
      } finally {
        weights.close();
      }
    }
    if (!unchecked.isEmpty()) {
      notes.add(
          "reference.safetensors tensors not compared (not a known quantity): " + unchecked + ".");
    }
    return new Result(summary, List.copyOf(rows), List.copyOf(notes));
  }

  // ---- the base model
  // ----------------------------------------------------------------------------------

  private void base(
      Decoder d, TensorSource ref, JsonNode run, int[] ids, int[] labels, int batch, int seq)
      throws IOException {
    DecoderConfig c = d.config();
    Activations a = d.forward(ids, batch);
    List<String> hidden =
        ref.names().stream()
            .filter(n -> HIDDEN.matcher(n).matches())
            .sorted((x, y) -> Integer.compare(index(HIDDEN, x), index(HIDDEN, y)))
            .toList();
    if (hidden.isEmpty()) {
      notes.add("base_hidden.* absent: hidden states not compared.");
    }
    for (String name : hidden) {
      int i = index(HIDDEN, name);
      if (i > c.layers()) {
        throw new LorakitInputException(
            "reference.safetensors holds "
                + name
                + ", but the model has "
                + c.layers()
                + " layers, so hidden states go from base_hidden.0 to base_hidden."
                + c.layers()
                + ".");
      }
      compare(
          ref,
          name,
          backend.download(a.hidden(i)),
          new long[] {batch, seq, c.hidden()},
          tol.activations());
    }
    compareOrSkip(
        ref,
        "base_logits",
        backend.download(a.logits()),
        new long[] {batch, seq, c.vocab()},
        tol.activations());
    if (ref.contains("base_loss")) {
      if (labels == null) {
        throw new LorakitInputException(
            "reference.safetensors holds base_loss but no labels to compute it from.");
      }
      compareLoss(ref, "base_loss", CausalLmLoss.loss(d, ids, labels, batch));
    } else {
      notes.add("base_loss absent: skipped.");
    }
    greedy(d, ref, run, ids, seq);
  }

  private void greedy(Decoder d, TensorSource ref, JsonNode run, int[] ids, int seq)
      throws IOException {
    if (!ref.contains("greedy_tokens")) {
      notes.add("greedy_tokens absent: generation not compared.");
      return;
    }
    JsonNode g = run.path("greedy");
    if (!g.path("prompt_len").canConvertToInt()) {
      notes.add("reference.json has no greedy.prompt_len: greedy_tokens not compared.");
      unchecked.remove("greedy_tokens");
      return;
    }
    int promptLength = g.get("prompt_len").asInt();
    int row = g.path("row").asInt(0);
    int[] expected = ref.ints("greedy_tokens");
    if (promptLength < 1
        || promptLength > seq
        || expected.length < promptLength
        || row < 0
        || row >= ids.length / seq) {
      throw new LorakitInputException(
          "reference.json's greedy settings (prompt_len "
              + promptLength
              + ", row "
              + row
              + ") do not fit input_ids of "
              + ids.length / seq
              + " x "
              + seq
              + " and greedy_tokens of "
              + expected.length
              + ".");
    }
    int[] prompt = Arrays.copyOfRange(ids, row * seq, row * seq + promptLength);
    int[] got =
        new Generator(d)
            .generate(prompt, expected.length - promptLength, -1, Sampler.Settings.greedy());
    int differ = Math.abs(got.length - expected.length);
    for (int i = 0; i < Math.min(got.length, expected.length); i++) {
      differ += got[i] == expected[i] ? 0 : 1;
    }
    rows.add(new Row("greedy_tokens", Row.TOKENS, differ, 0));
    unchecked.remove("greedy_tokens");
  }

  // ---- the adapter, its gradients and AdamW
  // --------------------------------------------------------------

  private void lora(
      Decoder d, TensorSource ref, JsonNode run, int[] ids, int[] labels, int batch, int seq)
      throws IOException {
    boolean wanted =
        ref.names().stream()
            .anyMatch(
                n -> n.startsWith("lora_") || n.startsWith("grad.") || AFTER.matcher(n).matches());
    if (!wanted) {
      notes.add(
          "no LoRA quantities (lora_logits, lora_loss.*, grad.*, after*.*): the adapter is not run.");
      return;
    }
    Path adapterDir = dir.resolve("adapter_init");
    if (!Files.isDirectory(adapterDir)) {
      throw new IOException(
          dir + " holds LoRA reference values but no adapter_init/ folder to compute them with.");
    }
    DecoderConfig c = d.config();
    try (LoraWeights lora = LoraWeights.read(adapterDir, c, backend)) {
      d.setLora(lora);
      if (lora.spec().dropout() > 0) {
        notes.add(
            "lora_dropout is "
                + lora.spec().dropout()
                + ": dropout masks are random, so the adapter is "
                + "run without dropout.");
      }
      d.setTraining(false);
      compareOrSkip(
          ref,
          "lora_logits",
          backend.download(d.forward(ids, batch).logits()),
          new long[] {batch, seq, c.vocab()},
          tol.activations());
      if (labels == null) {
        notes.add("labels absent: LoRA losses, gradients and AdamW steps not compared.");
        return;
      }
      int steps = adamwSteps(ref, run);
      AdamW.Settings settings = adamwSettings(run, steps);
      try (AdamW opt = settings == null ? null : new AdamW(backend, lora.parameters(), settings)) {
        for (int step = 0; step < Math.max(steps, 1); step++) {
          lora.zeroGrad();
          double loss = CausalLmLoss.forwardBackward(d, ids, labels, batch);
          String name = "lora_loss.step" + step;
          if (ref.contains(name)) {
            compareLoss(ref, name, loss);
          } else {
            notes.add(name + " absent: skipped.");
          }
          if (step == 0) {
            compareParameters(ref, "grad.", lora, true);
          }
          if (opt == null) {
            break;
          }
          opt.step(run.path("adamw").path("lr").asDouble());
        }
      }
      if (settings != null && steps > 0) {
        compareParameters(ref, "after" + steps + ".", lora, false);
      }
      d.setLora(null);
    }
    for (String n : List.copyOf(unchecked)) {
      Matcher m = STEP_LOSS.matcher(n);
      Matcher after = AFTER.matcher(n);
      if (m.matches() || after.matches()) {
        notes.add(n + " is beyond the AdamW steps reference.json describes: not compared.");
        unchecked.remove(n);
      }
    }
  }

  /**
   * The number of AdamW steps: reference.json's adamw.steps, else 0 (losses and gradients of step 0
   * only).
   */
  private int adamwSteps(TensorSource ref, JsonNode run) {
    JsonNode steps = run.path("adamw").path("steps");
    return steps.canConvertToInt() ? steps.asInt() : 0;
  }

  private AdamW.Settings adamwSettings(JsonNode run, int steps) {
    JsonNode a = run.path("adamw");
    if (steps == 0) {
      notes.add(
          "reference.json has no adamw.steps: only the loss and gradients before the first step are compared.");
      return null;
    }
    for (String field : List.of("lr", "beta1", "beta2", "eps", "weight_decay")) {
      if (!a.path(field).isNumber()) {
        throw new LorakitInputException(
            "reference.json's adamw block has no number \"" + field + "\".");
      }
    }
    return new AdamW.Settings(
        a.get("beta1").asDouble(),
        a.get("beta2").asDouble(),
        a.get("eps").asDouble(),
        a.get("weight_decay").asDouble());
  }

  /**
   * Compares {@code prefix + name} for every adapter tensor; a reference tensor for no adapter
   * tensor is an error.
   */
  private void compareParameters(
      TensorSource ref, String prefix, LoraWeights lora, boolean gradients) throws IOException {
    int absent = 0;
    Set<String> names = new LinkedHashSet<>();
    for (Parameter p : lora.parameters()) {
      names.add(prefix + p.name());
      String name = prefix + p.name();
      if (!ref.contains(name)) {
        absent++;
        continue;
      }
      long[] shape = Arrays.stream(p.value().shape().dims()).asLongStream().toArray();
      compare(
          ref,
          name,
          backend.download(gradients ? p.grad() : p.value()),
          shape,
          gradients ? tol.gradients() : tol.steps());
    }
    for (String n : ref.names()) {
      if (n.startsWith(prefix) && !names.contains(n)) {
        throw new LorakitInputException(
            "reference.safetensors holds "
                + n
                + ", but adapter_init/ has no tensor "
                + n.substring(prefix.length())
                + ".");
      }
    }
    if (absent > 0) {
      notes.add(
          prefix
              + "* absent for "
              + absent
              + " of "
              + lora.parameters().size()
              + " adapter tensors: skipped.");
    }
  }

  // ---- comparisons
  // -------------------------------------------------------------------------------------

  private void compareOrSkip(
      TensorSource ref, String name, float[] actual, long[] shape, double tolerance)
      throws IOException {
    if (ref.contains(name)) {
      compare(ref, name, actual, shape, tolerance);
    } else {
      notes.add(name + " absent: skipped.");
    }
  }

  private void compare(
      TensorSource ref, String name, float[] actual, long[] shape, double tolerance)
      throws IOException {
    expectShape(ref, name, shape);
    rows.add(new Row(name, "rel L2", Errors.relativeL2(actual, ref.floats(name)), tolerance));
    unchecked.remove(name);
  }

  private void compareLoss(TensorSource ref, String name, double actual) throws IOException {
    expectShape(ref, name, new long[] {1});
    double expected = ref.floats(name)[0];
    double diff = Math.abs(actual - expected);
    rows.add(
        tol.lossRelative()
            ? new Row(name, "rel", diff / Math.abs(expected), tol.loss())
            : new Row(name, "abs", diff, tol.loss()));
    unchecked.remove(name);
  }

  // ---- reading
  // -----------------------------------------------------------------------------------------

  private static JsonNode readJson(Path file) throws IOException {
    try {
      JsonNode n = new ObjectMapper().readTree(file.toFile());
      if (n == null || !n.isObject()) {
        throw new IOException(file + " is not a JSON object.");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new IOException(
          file + " is not valid JSON (" + dev.lorakit.core.io.TextFiles.jsonProblem(e) + ").", e);
    }
  }

  private static String require(TensorSource ref, String name) {
    if (!ref.contains(name)) {
      throw new LorakitInputException(
          ref.path()
              + " has no tensor \""
              + name
              + "\"; a reference needs the "
              + "token ids it was computed from.");
    }
    return name;
  }

  private static void expectShape(TensorSource ref, String name, long[] expected)
      throws IOException {
    long[] actual = ref.info(name).shape();
    if (!Arrays.equals(actual, expected)) {
      throw malformed(name, actual, Arrays.toString(expected));
    }
  }

  private static LorakitInputException malformed(String name, long[] actual, String expected) {
    return new LorakitInputException(
        "reference.safetensors: tensor \""
            + name
            + "\" has shape "
            + Arrays.toString(actual)
            + ", but the model and input_ids call for "
            + expected
            + ".");
  }

  private static int index(Pattern p, String name) {
    Matcher m = p.matcher(name);
    if (!m.matches()) {
      throw new IllegalStateException(name);
    }
    return Integer.parseInt(m.group(1));
  }
}
