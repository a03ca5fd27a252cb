package dev.lorakit.core.lora;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.nn.DecoderConfig;
import dev.lorakit.core.optim.Parameter;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The trainable LoRA matrices of a decoder, with their gradient buffers: for every projection its
 * {@link LoraSpec} lists, {@code A [rank, in]} and {@code B [out, rank]} (PEFT's layout), float32
 * on a backend.
 *
 * <p>Adapters come in and go out as PEFT adapter folders: {@link #read} / {@link #of(PeftAdapter,
 * DecoderConfig, Backend)} and {@link #save} / {@link #toPeftAdapter}.
 */
public final class LoraWeights implements AutoCloseable {

  /**
   * One wrapped projection.
   *
   * @param module which projection, its rank and scale
   * @param a {@code lora_A} [rank, in]
   * @param b {@code lora_B} [out, rank]
   * @param gradA gradient of {@code a}
   * @param gradB gradient of {@code b}
   */
  public record Pair(LoraSpec.Module module, Tensor a, Tensor b, Tensor gradA, Tensor gradB) {

    /** The block index. */
    public int layer() {
      return module.layer();
    }

    /** The projection. */
    public LoraTarget target() {
      return module.target();
    }

    /** The factor on {@code B A}, as the kernels take it. */
    public float scale() {
      return (float) module.scale();
    }
  }

  private final LoraSpec spec;
  private final Backend backend;
  private final Pair[][] pairs;
  private final List<Pair> list;

  private LoraWeights(LoraSpec spec, Backend backend) {
    this.spec = spec;
    this.backend = backend;
    DecoderConfig model = spec.model();
    this.pairs = new Pair[model.layers()][LoraTarget.values().length];
    List<Pair> all = new ArrayList<>();
    for (LoraSpec.Module m : spec.modules()) {
      Shape as = Shape.of(m.rank(), m.target().in(model));
      Shape bs = Shape.of(m.target().out(model), m.rank());
      Pair p =
          new Pair(
              m,
              backend.zeros(DType.F32, as),
              backend.zeros(DType.F32, bs),
              backend.zeros(DType.F32, as),
              backend.zeros(DType.F32, bs));
      pairs[m.layer()][m.target().ordinal()] = p;
      all.add(p);
    }
    this.list = List.copyOf(all);
  }

  /** All-zero matrices (the adapter is a no-op until initialised or loaded). */
  public static LoraWeights zeros(LoraSpec spec, Backend backend) {
    return new LoraWeights(spec, backend);
  }

  /**
   * Fresh matrices, initialised as the config's {@code init_lora_weights} says, from {@code seed}:
   *
   * <ul>
   *   <li>{@code true}: A Kaiming-uniform with {@code a = sqrt(5)}, i.e. {@code U(-1/sqrt(in),
   *       1/sqrt(in))}, and B zero, so the adapter starts as a no-op;
   *   <li>{@code "gaussian"}: A normal with standard deviation {@code 1/rank}, B zero;
   *   <li>{@code false}: both as {@code torch.nn.Linear} initialises them, A {@code U(-1/sqrt(in),
   *       1/sqrt(in))} and B {@code U(-1/sqrt(rank), 1/sqrt(rank))}: the adapter changes the model
   *       from the start.
   * </ul>
   */
  public static LoraWeights init(LoraSpec spec, Backend backend, long seed) {
    LoraWeights w = new LoraWeights(spec, backend);
    SplittableRandom rnd = new SplittableRandom(seed);
    InitLoraWeights how = spec.config().initLoraWeights();
    for (Pair p : w.list) {
      int in = p.target().in(spec.model());
      int rank = p.module().rank();
      float[] a = new float[(int) p.a().size()];
      for (int i = 0; i < a.length; i++) {
        a[i] =
            (float)
                (how == InitLoraWeights.GAUSSIAN
                    ? gaussian(rnd) / rank
                    : rnd.nextDouble(-1 / Math.sqrt(in), 1 / Math.sqrt(in)));
      }
      w.set(p.a(), a);
      if (how == InitLoraWeights.RANDOM) {
        float[] b = new float[(int) p.b().size()];
        for (int i = 0; i < b.length; i++) {
          b[i] = (float) rnd.nextDouble(-1 / Math.sqrt(rank), 1 / Math.sqrt(rank));
        }
        w.set(p.b(), b);
      }
    }
    return w;
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller: SplittableRandom has no nextGaussian of its own that is stable across JDKs.
    double u = 1 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /**
   * The matrices of a PEFT adapter, for a decoder of shape {@code model}: its config is resolved
   * against the model ({@link LoraSpec#of}) and every tensor must be one the resolved spec calls
   * for, with the shape it calls for. Values are widened to float32 exactly (BF16/F16 to F32 is
   * lossless).
   *
   * @throws LorakitInputException in one sentence naming the tensor, the expected and the actual
   *     shape, when the adapter was made for another model (other dimensions, a layer the model
   *     lacks) or its config does not select what it holds
   */
  public static LoraWeights of(PeftAdapter adapter, DecoderConfig model, Backend backend) {
    Map<String, LoraSpec.Module> byName = new LinkedHashMap<>();
    for (String module : adapter.modules()) {
      int layer = adapter.config().layerIndexOf(module);
      if (layer >= model.layers()) {
        throw new LorakitInputException(
            "Adapter tensor \""
                + PeftAdapter.loraAName(module)
                + "\" is for layer "
                + layer
                + ", but the model has "
                + LoraSpec.layerRange(model)
                + ".");
      }
    }
    LoraSpec spec = LoraSpec.of(adapter.config(), model);
    for (LoraSpec.Module m : spec.modules()) {
      byName.put(m.name(), m);
    }
    for (String module : adapter.modules()) {
      if (!byName.containsKey(module)) {
        throw new LorakitInputException(
            "Adapter tensor \""
                + PeftAdapter.loraAName(module)
                + "\" is for "
                + module
                + ", which is not a projection of this model that the adapter's config selects.");
      }
    }
    Set<String> present = new HashSet<>(adapter.modules());
    LoraWeights w = new LoraWeights(spec, backend);
    try {
      for (Pair p : w.list) {
        String module = p.module().name();
        if (!present.contains(module)) {
          throw new LorakitInputException(
              "The adapter has no tensor \""
                  + PeftAdapter.loraAName(module)
                  + "\", though its config selects "
                  + module
                  + ".");
        }
        w.load(
            PeftAdapter.loraAName(module),
            adapter.loraA(module),
            p.a(),
            "rank " + p.module().rank() + ", in_features " + p.target().in(model));
        w.load(
            PeftAdapter.loraBName(module),
            adapter.loraB(module),
            p.b(),
            "out_features " + p.target().out(model) + ", rank " + p.module().rank());
      }
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
    return w;
  }

  private void load(String name, PeftAdapter.AdapterTensor t, Tensor dst, String because) {
    long[] expected = Arrays.stream(dst.shape().dims()).asLongStream().toArray();
    if (!Arrays.equals(t.shape(), expected)) {
      throw new LorakitInputException(
          "Adapter tensor \""
              + name
              + "\" has shape "
              + Arrays.toString(t.shape())
              + ", but this model needs "
              + Arrays.toString(expected)
              + " ("
              + because
              + ").");
    }
    set(dst, t.values());
  }

  private void set(Tensor dst, float[] values) {
    try (Tensor tmp = backend.upload(values, DType.F32, dst.shape())) {
      backend.copy(tmp, dst);
    }
  }

  /**
   * Reads a PEFT adapter folder ({@code adapter_config.json}, {@code adapter_model.safetensors})
   * for a decoder of shape {@code model}.
   *
   * @throws LorakitInputException naming the folder and, in one sentence, the file, field or tensor
   *     that is wrong
   * @throws IOException when a file cannot be read or is not a valid safetensors or JSON file
   */
  public static LoraWeights read(Path folder, DecoderConfig model, Backend backend)
      throws IOException {
    PeftAdapter adapter = PeftAdapter.read(folder);
    try {
      return of(adapter, model, backend);
    } catch (LorakitInputException e) {
      throw new LorakitInputException(folder + ": " + e.getMessage(), e);
    }
  }

  /** The matrices as a PEFT adapter (float32, PEFT's names, this spec's config), ready to write. */
  public PeftAdapter toPeftAdapter() {
    Map<String, PeftAdapter.AdapterTensor> tensors = new LinkedHashMap<>();
    for (Pair p : list) {
      tensors.put(PeftAdapter.loraAName(p.module().name()), tensor(p.a()));
      tensors.put(PeftAdapter.loraBName(p.module().name()), tensor(p.b()));
    }
    return new PeftAdapter(spec.config(), tensors);
  }

  private PeftAdapter.AdapterTensor tensor(Tensor t) {
    long[] shape = Arrays.stream(t.shape().dims()).asLongStream().toArray();
    return new PeftAdapter.AdapterTensor(shape, backend.download(t), SafeTensorsDtype.F32);
  }

  /**
   * Writes the matrices as a PEFT adapter folder, atomically (see {@link PeftAdapter#write});
   * PEFT's {@code PeftModel.from_pretrained} loads it, and so does {@link #read}, bit for bit.
   */
  public void save(Path folder) throws IOException {
    toPeftAdapter().write(folder);
  }

  /** What is adapted, with which rank and scale. */
  public LoraSpec spec() {
    return spec;
  }

  /** The decoder shape these matrices fit. */
  public DecoderConfig config() {
    return spec.model();
  }

  /**
   * The matrices of {@code target} in {@code layer}, or null when that projection is not wrapped.
   */
  public Pair get(int layer, LoraTarget target) {
    return pairs[layer][target.ordinal()];
  }

  /** Every wrapped projection, layer by layer, targets in {@link LoraTarget} order. */
  public List<Pair> pairs() {
    return list;
  }

  /**
   * The trainable tensors under PEFT's names (A then B for each pair), for the optimizer and
   * checkpoints.
   */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (Pair p : list) {
      out.add(new Parameter(PeftAdapter.loraAName(p.module().name()), p.a(), p.gradA()));
      out.add(new Parameter(PeftAdapter.loraBName(p.module().name()), p.b(), p.gradB()));
    }
    return out;
  }

  /** Sets every gradient to zero (before accumulating a new step). */
  public void zeroGrad() {
    for (Pair p : list) {
      backend.fill(p.gradA(), 0f);
      backend.fill(p.gradB(), 0f);
    }
  }

  @Override
  public void close() {
    for (Pair p : list) {
      p.a().close();
      p.b().close();
      p.gradA().close();
      p.gradB().close();
    }
  }
}
