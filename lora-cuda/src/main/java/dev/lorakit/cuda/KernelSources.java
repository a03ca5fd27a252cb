package dev.lorakit.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The kernel files under {@code resources/dev/lorakit/cuda/kernels} and the {@code extern "C"}
 * entry points each must define. The backend asks for kernels by these names; a test compiles every
 * file with nvcc and checks that each name appears in the PTX.
 */
final class KernelSources {

  /** One {@code .cu} file and its entry points. */
  record KernelFile(String name, List<String> entryPoints) {
    String resource() {
      return RESOURCE_FOLDER + name + ".cu";
    }
  }

  static final String RESOURCE_FOLDER = "/dev/lorakit/cuda/kernels/";
  static final String COMMON = "common.cuh";

  static final List<KernelFile> FILES =
      List.of(
          new KernelFile(
              "elementwise",
              List.of(
                  "add_f32",
                  "add_scaled_f32",
                  "scale_f32",
                  "dropout_f32",
                  "dropout_bf16",
                  "copy_columns_b32",
                  "copy_columns_b16")),
          new KernelFile(
              "casts",
              List.of(
                  "cast_f32_to_bf16",
                  "cast_bf16_to_f32",
                  "cast_f32_to_f16",
                  "cast_f16_to_f32",
                  "cast_bf16_to_f16",
                  "cast_f16_to_bf16")),
          new KernelFile("reductions", List.of("sum_squares_f32", "all_finite_f32")),
          new KernelFile(
              "embedding",
              List.of(
                  "embedding_f32", "embedding_bf16", "embedding_f16", "embedding_backward_f32")),
          new KernelFile(
              "rmsnorm",
              List.of(
                  "rmsnorm_f32",
                  "rmsnorm_bf16",
                  "rmsnorm_f32_to_bf16",
                  "rmsnorm_bf16_to_f32",
                  "rmsnorm_backward_f32",
                  "rmsnorm_dweight_f32")),
          new KernelFile("rope", List.of("rope_f32", "rope_bf16")),
          new KernelFile(
              "attention",
              List.of(
                  "attn_split_heads",
                  "attn_split_heads_bf16",
                  "attn_merge_heads",
                  "attn_merge_heads_bf16",
                  "attn_group_sum_add",
                  "attn_softmax",
                  "attn_probs_from_lse",
                  "attn_row_dot",
                  "attn_row_dot_bf16",
                  "attn_dscores")),
          new KernelFile("flash_attention", FlashAttention.ENTRY_POINTS),
          new KernelFile("flash_attention_tc", FlashAttention.TC_ENTRY_POINTS),
          new KernelFile(
              "swiglu",
              List.of("swiglu_f32", "swiglu_bf16", "swiglu_backward_f32", "swiglu_backward_bf16")),
          new KernelFile("crossentropy", List.of("cross_entropy_f32")),
          new KernelFile("adamw", List.of("adamw_f32")));

  private KernelSources() {}

  static String read(String resource) {
    try (InputStream in = KernelSources.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "The kernel resource " + resource + " is not on the class path.");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the kernel resource " + resource + ".", e);
    }
  }

  /**
   * What NVRTC compiles for {@code file}: the shared helpers, then the file with its own line
   * numbers.
   */
  static String source(KernelFile file) {
    return read(RESOURCE_FOLDER + COMMON)
        + "\n#line 1 \""
        + file.name()
        + ".cu\"\n"
        + read(file.resource());
  }

  /** The file that defines {@code entryPoint}. */
  static KernelFile fileOf(String entryPoint) {
    for (KernelFile f : FILES) {
      if (f.entryPoints().contains(entryPoint)) {
        return f;
      }
    }
    throw new IllegalArgumentException("No kernel file defines " + entryPoint + ".");
  }
}
