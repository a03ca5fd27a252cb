package dev.lorakit.models;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsDtype;
import dev.lorakit.core.io.TensorInfo;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.nn.DecoderWeights;
import dev.lorakit.core.nn.LayerWeights;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a LLaMA/Mistral checkpoint, found by their Hugging Face names and checked against
 * the config's shapes. It holds headers only: the data stays in the memory-mapped safetensors files
 * until a tensor is asked for through {@link #segment} or {@link #floats}, and is valid until the
 * source is closed.
 */
public final class ModelWeights {

  private final TensorSource source;
  private final ModelConfig config;
  private final TensorInfo embedding;
  private final TensorInfo finalNorm;
  private final TensorInfo lmHead;
  private final List<Map<LayerWeight, TensorInfo>> layers;

  ModelWeights(TensorSource source, ModelConfig config, Map<String, TensorInfo> byName) {
    this.source = source;
    this.config = config;
    this.embedding = byName.get(WeightMap.EMBEDDING);
    this.finalNorm = byName.get(WeightMap.FINAL_NORM);
    this.lmHead = config.tiedEmbeddings() ? embedding : byName.get(WeightMap.LM_HEAD);
    List<Map<LayerWeight, TensorInfo>> blocks = new ArrayList<>();
    for (int i = 0; i < config.layers(); i++) {
      Map<LayerWeight, TensorInfo> block = new EnumMap<>(LayerWeight.class);
      for (LayerWeight w : LayerWeight.values()) block.put(w, byName.get(w.tensorName(i)));
      blocks.add(Collections.unmodifiableMap(block));
    }
    this.layers = List.copyOf(blocks);
  }

  /**
   * Maps and checks the tensors of {@code source} for the model {@code config} describes; errors
   * name {@code configName} as the file the expected shapes come from.
   *
   * @throws LorakitInputException naming a missing, unexpected, mis-shaped or non-float tensor,
   *     with the expected and actual shape
   */
  public static ModelWeights of(TensorSource source, ModelConfig config, String configName)
      throws IOException {
    return WeightMap.check(source, config, configName);
  }

  /** The config the shapes were checked against. */
  public ModelConfig config() {
    return config;
  }

  /** Where the tensors live. */
  public TensorSource source() {
    return source;
  }

  /** {@code model.embed_tokens.weight}: [vocab, hidden]. */
  public TensorInfo embedding() {
    return embedding;
  }

  /** Weight {@code w} of decoder block {@code layer}. */
  public TensorInfo layer(int layer, LayerWeight w) {
    return layers.get(layer).get(w);
  }

  /** {@code model.norm.weight}: [hidden]. */
  public TensorInfo finalNorm() {
    return finalNorm;
  }

  /** {@code lm_head.weight} [vocab, hidden], or the embedding when the config ties them. */
  public TensorInfo lmHead() {
    return lmHead;
  }

  /**
   * Uploads every weight to {@code backend} as float32, in the engine's layout: the one place where
   * a Hugging Face checkpoint becomes {@link DecoderWeights}. With tied embeddings {@code lmHead}
   * is the embedding tensor itself.
   */
  public DecoderWeights toDecoderWeights(Backend backend) throws IOException {
    return toDecoderWeights(backend, DType.F32);
  }

  /**
   * Like {@link #toDecoderWeights(Backend)}, but the matrices (embeddings, projections, output
   * head) are rounded to {@code matrices} (F32 or BF16, say) on upload; the norm weights stay
   * float32. Matrices stored in bf16 and wanted in bf16 go through {@link Backend#frozen}: on the
   * CPU they stay in the mapped files (no heap), so the weights are then valid only while the
   * source is open.
   */
  public DecoderWeights toDecoderWeights(Backend backend, DType matrices) throws IOException {
    List<Tensor> uploaded = new ArrayList<>();
    try {
      Tensor embed = upload(backend, embedding, matrices, uploaded);
      List<LayerWeights> blocks = new ArrayList<>();
      for (int i = 0; i < config.layers(); i++) {
        Map<LayerWeight, Tensor> t = new EnumMap<>(LayerWeight.class);
        for (LayerWeight w : LayerWeight.values()) {
          boolean norm =
              w == LayerWeight.INPUT_LAYERNORM || w == LayerWeight.POST_ATTENTION_LAYERNORM;
          t.put(w, upload(backend, layer(i, w), norm ? DType.F32 : matrices, uploaded));
        }
        blocks.add(
            new LayerWeights(
                t.get(LayerWeight.INPUT_LAYERNORM),
                t.get(LayerWeight.Q_PROJ),
                t.get(LayerWeight.K_PROJ),
                t.get(LayerWeight.V_PROJ),
                t.get(LayerWeight.O_PROJ),
                t.get(LayerWeight.POST_ATTENTION_LAYERNORM),
                t.get(LayerWeight.GATE_PROJ),
                t.get(LayerWeight.UP_PROJ),
                t.get(LayerWeight.DOWN_PROJ)));
      }
      Tensor norm = upload(backend, finalNorm, DType.F32, uploaded);
      Tensor head = config.tiedEmbeddings() ? embed : upload(backend, lmHead, matrices, uploaded);
      return new DecoderWeights(embed, blocks, norm, head);
    } catch (IOException | RuntimeException e) {
      uploaded.forEach(Tensor::close);
      throw e;
    }
  }

  private Tensor upload(Backend backend, TensorInfo info, DType dtype, List<Tensor> uploaded)
      throws IOException {
    int[] dims = Arrays.stream(info.shape()).mapToInt(Math::toIntExact).toArray();
    // Stored as wanted: the backend may compute on the mapped bytes themselves (the CPU does with
    // bf16).
    Tensor t =
        info.dtype() == SafeTensorsDtype.BF16 && dtype == DType.BF16
            ? backend.frozen(source.segment(info.name()), dtype, Shape.of(dims))
            : backend.upload(source.floats(info.name()), dtype, Shape.of(dims));
    uploaded.add(t);
    return t;
  }

  /** The tensor's bytes, as a zero-copy view of the mapped file. */
  public MemorySegment segment(TensorInfo tensor) throws IOException {
    return source.segment(tensor.name());
  }

  /** The tensor's values widened to float (a copy on the heap). */
  public float[] floats(TensorInfo tensor) throws IOException {
    return source.floats(tensor.name());
  }
}
