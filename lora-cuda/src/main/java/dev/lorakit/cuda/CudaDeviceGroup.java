package dev.lorakit.cuda;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.train.DeviceGroup;
import java.util.Optional;

/**
 * This machine's CUDA GPUs joined by NCCL: what {@code lorakit train --gpus N} and {@code
 * --distributed} train on, found through {@link java.util.ServiceLoader} so that nothing compiles
 * against lora-cuda to use it.
 */
public final class CudaDeviceGroup implements DeviceGroup {

  private Nccl nccl;

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public Optional<String> unavailableReason() {
    return new CudaBackendProvider().unavailableReason();
  }

  @Override
  public int deviceCount() {
    return CudaDevices.count();
  }

  @Override
  public synchronized void loadCollectives() {
    if (nccl == null) nccl = Nccl.load();
  }

  @Override
  public int groupIdBytes() {
    return Nccl.UNIQUE_ID_BYTES;
  }

  @Override
  public byte[] newGroupId() {
    return nccl().uniqueId();
  }

  @Override
  public Backend open(int device) {
    return new CudaBackend(device);
  }

  @Override
  public Member join(Backend backend, byte[] groupId, int rank, int worldSize) {
    if (!(backend instanceof CudaBackend cuda)) {
      throw new IllegalArgumentException(
          "A CUDA device group joins CUDA backends, not " + backend.name() + ".");
    }
    return NcclDataParallel.join(cuda, nccl(), groupId, rank, worldSize);
  }

  private synchronized Nccl nccl() {
    if (nccl == null) throw new IllegalStateException("Call loadCollectives() first.");
    return nccl;
  }
}
