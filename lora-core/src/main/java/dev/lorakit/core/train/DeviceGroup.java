package dev.lorakit.core.train;

import dev.lorakit.core.backend.Backend;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Several devices of one kind and the collective library that joins them for data-parallel
 * training, found at run time through {@link ServiceLoader} like a {@link
 * dev.lorakit.core.backend.BackendProvider}: lora-cuda lists one (CUDA GPUs and NCCL) in {@code
 * META-INF/services/dev.lorakit.core.train.DeviceGroup}, so neither lora-core nor a program that
 * trains on several GPUs depends on lora-cuda at compile time.
 *
 * <p>The order of use: {@link #unavailableReason()} and {@link #deviceCount()} to check the
 * request, {@link #loadCollectives()} once, then rank 0 makes a {@link #newGroupId()} and hands it
 * to the other ranks (threads of one process, or processes through a rendezvous), and every rank
 * {@link #open opens} its device and {@link #join joins} the group with the same id.
 */
public interface DeviceGroup {

  /** The device name a user asks for, e.g. {@code cuda}. */
  String name();

  /**
   * Why these devices cannot be used here (no driver, no GPU...), as one sentence; empty when they
   * can.
   */
  Optional<String> unavailableReason();

  /** The devices this process sees. */
  int deviceCount();

  /**
   * Loads the collective library.
   *
   * @throws dev.lorakit.core.LorakitInputException in one sentence when it is missing
   */
  void loadCollectives();

  /** The size of a group id in bytes: what a rendezvous carries from rank 0 to the others. */
  int groupIdBytes();

  /** A new group id; rank 0 makes it, every rank joins with it. */
  byte[] newGroupId();

  /** A backend on this process's device {@code device} (0 to {@link #deviceCount()} - 1). */
  Backend open(int device);

  /**
   * Joins the group {@code groupId} as {@code rank} of {@code worldSize}, on a backend from {@link
   * #open}.
   */
  Member join(Backend backend, byte[] groupId, int rank, int worldSize);

  /** One rank's side of a joined group. */
  interface Member extends DataParallel, AutoCloseable {

    /**
     * Whether a collective has been called yet (a rank that never trained tells the others to
     * leave).
     */
    boolean used();

    /** Leaves the group and frees its buffers. */
    @Override
    void close();
  }

  /** The group of devices named {@code name} that the class path offers, if any. */
  static Optional<DeviceGroup> named(String name) {
    return ServiceLoader.load(DeviceGroup.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(g -> g.name().equals(name))
        .findFirst();
  }
}
