package dev.lorakit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract every {@link Backend} keeps, run by each backend's tests (a subclass names the
 * backend): for each op, wrong arguments (shapes, dtypes, ranges) are refused with an {@link
 * IllegalArgumentException} whose message is the one written here, so that the backends cannot
 * drift apart. The messages come from {@link dev.lorakit.core.backend.OpArguments}; where a
 * backend's capability decides (an activation may be BF16 only on a backend whose bf16 activations
 * are BF16) the expected message follows {@link Backend#activations}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendContractTest {

  /**
   * Ops with no argument to refuse beyond the tensor's owner (each backend's own check) or with
   * none at all. {@code sumOfSquares(List)} sums {@code sumOfSquares} over the list.
   */
  private static final Set<String> NOTHING_TO_REFUSE =
      Set.of("name", "supports", "activations", "frozen", "zeros", "download", "fill", "close");

  private Backend backend;
  private final List<Tensor> made = new ArrayList<>();

  /**
   * The backend under test; called once per class (a GPU subclass skips here, visibly, without a
   * GPU).
   */
  protected abstract Backend createBackend();

  @BeforeAll
  final void open() {
    backend = createBackend();
  }

  @AfterAll
  final void close() {
    if (backend != null) {
      made.forEach(Tensor::close);
      backend.close();
    }
  }

  /** One refused call: the op, what is wrong, the message expected, and the call. */
  private record Case(String op, String wrong, String message, Consumer<Backend> call) {}

  private Tensor t(DType dtype, int... dims) {
    Tensor x = backend.zeros(dtype, Shape.of(dims));
    made.add(x);
    return x;
  }

  private Tensor f(int... dims) {
    return t(DType.F32, dims);
  }

  private static String f32(String op, String what, Tensor t) {
    return op
        + " needs an F32 "
        + what
        + ", not "
        + t.dtype()
        + " "
        + t.shape()
        + "; convert it with copy().";
  }

  private String activation(String op, String what, Tensor t) {
    boolean bf16 = backend.activations(Precision.BF16) == DType.BF16;
    return op
        + " needs an "
        + (bf16 ? "F32 or BF16 " : "F32 ")
        + what
        + ", not "
        + t.dtype()
        + " "
        + t.shape()
        + "; convert it with copy().";
  }

  private static String sizes(String op, Tensor a, Tensor b) {
    return op + ": sizes differ: " + a.shape() + " and " + b.shape() + ".";
  }

  private List<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(
        new Case(
            "upload",
            "too few values",
            "upload: 5 values do not fill a [2, 3] tensor.",
            backend -> backend.upload(new float[5], DType.F32, Shape.of(2, 3))));
    Tensor six = f(2, 3);
    Tensor four = f(4);
    c.add(new Case("copy", "sizes", sizes("copy", six, four), backend -> backend.copy(six, four)));
    Tensor cache = f(2 * 5, 3);
    Tensor rows = f(2 * 2, 3);
    c.add(
        new Case(
            "copyAt",
            "past the capacity",
            "copyAt: cannot place "
                + rows.shape()
                + " F32 at position 4 of "
                + cache.shape()
                + " F32 (batch 2).",
            backend -> backend.copyAt(rows, cache, 2, 4)));
    c.add(
        new Case(
            "copyAt",
            "a negative position",
            "copyAt: cannot place "
                + rows.shape()
                + " F32 at position -1 of "
                + cache.shape()
                + " F32 (batch 2).",
            backend -> backend.copyAt(rows, cache, 2, -1)));
    Tensor wide = f(4, 6);
    Tensor narrow = f(4, 3);
    c.add(
        new Case(
            "copyColumns",
            "past the width",
            "copyColumns: cannot copy 3 columns from column 4 of "
                + wide.shape()
                + " F32 to column 0 of "
                + narrow.shape()
                + " F32 as 4 rows.",
            backend -> backend.copyColumns(wide, 4, narrow, 0, 4, 3)));
    Tensor half = t(DType.F16, 2, 3);
    c.add(
        new Case("add", "sizes", sizes("add", six, four), backend -> backend.add(six, four, six)));
    c.add(
        new Case(
            "add",
            "an F16 operand",
            f32("add", "a", half),
            backend -> backend.add(half, six, six)));
    c.add(
        new Case(
            "addScaled",
            "sizes",
            sizes("addScaled", six, four),
            backend -> backend.addScaled(six, 2f, four)));
    c.add(
        new Case(
            "scale", "an F16 tensor", f32("scale", "x", half), backend -> backend.scale(half, 2f)));
    c.add(
        new Case(
            "sumOfSquares",
            "an F16 tensor",
            f32("sumOfSquares", "x", half),
            backend -> backend.sumOfSquares(half)));
    c.add(
        new Case(
            "allFinite",
            "an F16 tensor",
            f32("allFinite", "x", half),
            backend -> backend.allFinite(half)));
    c.add(
        new Case(
            "dropout",
            "p = 1",
            "dropout: the probability must be in [0, 1), not 1.0.",
            backend -> backend.dropout(six, six, 1f, 3)));
    c.add(
        new Case(
            "dropout",
            "sizes",
            sizes("dropout", six, four),
            backend -> backend.dropout(six, four, 0.1f, 3)));
    c.add(
        new Case(
            "dropout",
            "an F16 activation",
            activation("dropout", "x", half),
            backend -> backend.dropout(half, six, 0.1f, 3)));
    c.add(
        new Case(
            "matmul",
            "inner dimensions",
            "matmul: shapes do not fit: a [2, 3], b [4, 5], c [2, 5].",
            backend -> backend.matmul(six, false, f(4, 5), false, f(2, 5), 1f, 0f)));
    Tensor product = f(2, 5);
    c.add(
        new Case(
            "matmul",
            "a transposed b of another depth",
            "matmul: shapes do not fit: a [2, 3], b [5, 4]^T, c [2, 5].",
            backend -> backend.matmul(six, false, f(5, 4), true, product, 1f, 0f)));
    c.add(
        new Case(
            "matmul",
            "an a batched other than c",
            "matmul: shapes do not fit: a [3, 2, 3], b [3, 5], c [2, 2, 5].",
            backend -> backend.matmul(f(3, 2, 3), false, f(3, 5), false, f(2, 2, 5), 1f, 0f)));
    c.add(
        new Case(
            "matmul",
            "an output of rank 1",
            "matmul: the output must have rank >= 2, not [5].",
            backend -> backend.matmul(f(1, 3), false, f(3, 5), false, f(5), 1f, 0f)));
    // A backend computing in 16 bits takes BF16 and F16 operands, one at a time; the CPU takes
    // BF16 beside F32 and writes F32 (Backend.supports).
    boolean sixteenBit = backend.activations(Precision.BF16) == DType.BF16;
    Tensor bf16A = t(DType.BF16, 2, 3);
    Tensor f16B = t(DType.F16, 3, 5);
    c.add(
        new Case(
            "matmul",
            "BF16 and F16 operands",
            sixteenBit
                ? "matmul: a is BF16 and b is F16; mixed 16-bit operands must be converted with"
                    + " copy() first."
                : "matmul needs an F32 or BF16 b, not F16 [3, 5]; convert it with copy().",
            backend -> backend.matmul(bf16A, false, f16B, false, product, 1f, 0f)));
    Tensor f16C = t(DType.F16, 2, 5);
    c.add(
        new Case(
            "matmul",
            "BF16 operands for an F16 output",
            sixteenBit
                ? "matmul: BF16 operands cannot write a F16 output; use BF16 or F32."
                : f32("matmul", "c", f16C),
            backend -> backend.matmul(bf16A, false, t(DType.BF16, 3, 5), false, f16C, 1f, 0f)));
    Tensor table = f(10, 3);
    Tensor embedded = f(2, 3);
    c.add(
        new Case(
            "embedding",
            "an id outside the vocabulary",
            "Token id 10 is outside the vocabulary [0, 10).",
            backend -> backend.embedding(table, new int[] {1, 10}, embedded)));
    c.add(
        new Case(
            "embedding",
            "ids that do not fill the output",
            "embedding: 3 ids do not fill " + embedded.shape() + ".",
            backend -> backend.embedding(table, new int[] {1, 2, 3}, embedded)));
    c.add(
        new Case(
            "embeddingBackward",
            "a negative id",
            "Token id -1 is outside the vocabulary [0, 10).",
            backend -> backend.embeddingBackward(embedded, new int[] {-1, 2}, table)));
    c.add(
        new Case(
            "embeddingBackward",
            "ids that do not fit the gradient",
            "embeddingBackward: 1 ids do not fit " + embedded.shape() + ".",
            backend -> backend.embeddingBackward(embedded, new int[] {1}, table)));
    Tensor x = f(4, 8);
    Tensor weight = f(8);
    Tensor rstd = f(4);
    c.add(
        new Case(
            "rmsNorm",
            "a weight of another width",
            "rmsNorm: x "
                + x.shape()
                + ", weight [6], out "
                + x.shape()
                + ", rstd "
                + rstd.shape()
                + " do not fit.",
            backend -> backend.rmsNorm(x, f(6), 1e-5f, x, rstd)));
    Tensor halfX = t(DType.F16, 4, 8);
    c.add(
        new Case(
            "rmsNorm",
            "an F16 input",
            activation("rmsNorm", "x", halfX),
            backend -> backend.rmsNorm(halfX, weight, 1e-5f, x, rstd)));
    c.add(
        new Case(
            "rmsNormBackward",
            "one rstd too few",
            "rmsNormBackward: dOut "
                + x.shape()
                + ", x "
                + x.shape()
                + ", weight "
                + weight.shape()
                + ", rstd [3] do not fit.",
            backend -> backend.rmsNormBackward(x, x, weight, f(3), x, null)));
    Tensor heads = f(2 * 3, 2 * 4);
    Tensor cos = f(16, 2);
    c.add(
        new Case(
            "rope",
            "an odd head width",
            "rope: x [6, 6] with 2 heads and batch 2 does not fit tables "
                + cos.shape()
                + " at position 0.",
            backend -> backend.rope(f(6, 6), 2, 2, cos, cos, 0, false)));
    c.add(
        new Case(
            "rope",
            "a negative position",
            "rope: x "
                + heads.shape()
                + " with 2 heads and batch 2 does not fit tables "
                + cos.shape()
                + " at position -1.",
            backend -> backend.rope(heads, 2, 2, cos, cos, -1, false)));
    c.add(
        new Case(
            "rope",
            "tables of other shapes",
            "rope: x "
                + heads.shape()
                + " with 2 heads and batch 2 does not fit tables "
                + cos.shape()
                + " at position 0.",
            backend -> backend.rope(heads, 2, 2, cos, f(15, 2), 0, false)));
    Tensor halfHeads = t(DType.F16, 6, 8);
    c.add(
        new Case(
            "rope",
            "an F16 input",
            activation("rope", "x", halfHeads),
            backend -> backend.rope(halfHeads, 2, 2, cos, cos, 0, false)));
    // batch 2, n 3, heads 4 / kv 2, head width 4.
    Tensor q = f(6, 16);
    Tensor kv = f(6, 8);
    Tensor lse = f(2, 4, 3);
    c.add(
        new Case(
            "attention",
            "query heads not a multiple of the kv heads",
            "attention: q "
                + q.shape()
                + ", k "
                + kv.shape()
                + ", v "
                + kv.shape()
                + " do not fit batch 2, heads 4/3, position 0, kv length 3.",
            backend -> backend.attention(q, kv, kv, q, lse, 2, 4, 3, 0, 3, 0)));
    c.add(
        new Case(
            "attention",
            "a negative position",
            "attention: q "
                + q.shape()
                + ", k "
                + kv.shape()
                + ", v "
                + kv.shape()
                + " do not fit batch 2, heads 4/2, position -1, kv length 3.",
            backend -> backend.attention(q, kv, kv, q, lse, 2, 4, 2, -1, 3, 0)));
    c.add(
        new Case(
            "attention",
            "rows past the kv length",
            "attention: q "
                + q.shape()
                + ", k "
                + kv.shape()
                + ", v "
                + kv.shape()
                + " do not fit batch 2, heads 4/2, position 1, kv length 3.",
            backend -> backend.attention(q, kv, kv, q, lse, 2, 4, 2, 1, 3, 0)));
    Tensor halfQ = t(DType.F16, 6, 16);
    c.add(
        new Case(
            "attention",
            "an F16 query",
            activation("attention", "q", halfQ),
            backend -> backend.attention(halfQ, kv, kv, q, lse, 2, 4, 2, 0, 3, 0)));
    Tensor dkv = f(6, 8);
    c.add(
        new Case(
            "attentionBackward",
            "an lse of another size",
            "attentionBackward: q "
                + q.shape()
                + ", k "
                + kv.shape()
                + " and their gradients do not fit a full sequence.",
            backend ->
                backend.attentionBackward(q, q, kv, kv, q, f(2, 4, 2), q, dkv, dkv, 2, 4, 2, 0)));
    c.add(
        new Case(
            "attentionBackward",
            "a gradient of another size",
            "attentionBackward: q "
                + q.shape()
                + ", k "
                + kv.shape()
                + " and their gradients do not fit a full sequence.",
            backend ->
                backend.attentionBackward(q, q, kv, kv, q, lse, q, f(6, 4), dkv, 2, 4, 2, 0)));
    c.add(
        new Case(
            "attentionBackward",
            "an F16 gradient",
            f32("attentionBackward", "dq", halfQ),
            backend ->
                backend.attentionBackward(q, q, kv, kv, q, lse, halfQ, dkv, dkv, 2, 4, 2, 0)));
    c.add(
        new Case(
            "swiglu",
            "sizes",
            sizes("swiglu", six, four),
            backend -> backend.swiglu(six, four, six)));
    c.add(
        new Case(
            "swiglu",
            "an F16 gate",
            activation("swiglu", "gate", half),
            backend -> backend.swiglu(half, six, six)));
    c.add(
        new Case(
            "swigluBackward",
            "sizes",
            sizes("swigluBackward", six, four),
            backend -> backend.swigluBackward(six, four, six, six, six)));
    c.add(
        new Case(
            "swigluBackward",
            "an F16 gradient",
            f32("swigluBackward", "dOut", half),
            backend -> backend.swigluBackward(half, six, six, six, six)));
    Tensor logits = f(2, 5);
    c.add(
        new Case(
            "crossEntropy",
            "a label outside the vocabulary",
            "Label 5 is outside the vocabulary [0, 5).",
            backend -> backend.crossEntropy(logits, new int[] {0, 5}, null, 1f)));
    c.add(
        new Case(
            "crossEntropy",
            "one target per row",
            "crossEntropy: 3 targets for logits " + logits.shape() + ".",
            backend -> backend.crossEntropy(logits, new int[] {0, 1, 2}, null, 1f)));
    c.add(
        new Case(
            "adamW",
            "step 0",
            "adamW: the step counts from 1, not 0.",
            backend -> backend.adamW(six, six, six, six, 1e-3, 0.9, 0.999, 1e-8, 0, 0)));
    c.add(
        new Case(
            "adamW",
            "sizes",
            sizes("adamW", six, four),
            backend -> backend.adamW(six, four, six, six, 1e-3, 0.9, 0.999, 1e-8, 0, 1)));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> wrongArgumentsAreRefusedInTheContractsWords() {
    return cases().stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.op() + ": " + c.wrong(),
                    () -> {
                      IllegalArgumentException e =
                          assertThrows(
                              IllegalArgumentException.class,
                              () -> c.call().accept(backend),
                              backend.name() + " accepted " + c.op() + " with " + c.wrong());
                      assertEquals(c.message(), e.getMessage(), backend.name());
                    }));
  }

  @Test
  void everyOpWithArgumentsToRefuseHasACase() {
    Set<String> covered = new TreeSet<>(cases().stream().map(Case::op).toList());
    Set<String> missing = new TreeSet<>();
    for (Method m : Backend.class.getMethods()) {
      if (!Modifier.isStatic(m.getModifiers())
          && !NOTHING_TO_REFUSE.contains(m.getName())
          && !covered.contains(m.getName())) {
        missing.add(m.getName());
      }
    }
    assertTrue(missing.isEmpty(), "Backend ops without a contract case: " + missing);
  }
}
