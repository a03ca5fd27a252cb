package dev.lorakit.core.io;

import java.util.Optional;

/**
 * The element types a safetensors file can hold. {@link #name()} is the code written in the header
 * ({@code "F32"}, {@code "BF16"}, ...).
 *
 * <p>The declaration order follows the safetensors reference implementation's ordering of types,
 * which its writer uses to sort tensors (widest alignment first); {@link SafeTensorsWriter} sorts
 * the same way so that files it writes match the ones PEFT and transformers write byte for byte.
 */
public enum SafeTensorsDtype {
  BOOL(1),
  U8(1),
  I8(1),
  I16(2),
  F16(2),
  BF16(2),
  I32(4),
  F32(4),
  F64(8),
  I64(8);

  private final int byteSize;

  SafeTensorsDtype(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** Whether {@link TensorSource#floats} can widen this type to float. */
  public boolean isFloatingPoint() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /** The type whose header code is {@code code}, if lorakit knows it. */
  public static Optional<SafeTensorsDtype> fromCode(String code) {
    for (SafeTensorsDtype dtype : values()) {
      if (dtype.name().equals(code)) {
        return Optional.of(dtype);
      }
    }
    return Optional.empty();
  }
}
