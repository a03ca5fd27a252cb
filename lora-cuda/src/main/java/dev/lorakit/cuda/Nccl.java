package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.lorakit.core.LorakitInputException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NCCL (libnccl.so.2), bound with the foreign-function API like the driver and cuBLAS: the unique
 * id, a communicator per rank, the sum all-reduce (fp32, fp64, bf16), broadcast, groups, abort and
 * destroy, and NCCL's error texts. The library is looked for where the CUDA libraries are ({@code
 * LORAKIT_CUDA_LIB}, {@code CUDA_HOME}, then the dynamic loader's path); its absence is a {@link
 * LorakitInputException}, since only multi-GPU training needs it.
 *
 * <p>A communicator belongs to the CUDA device that is current on the thread that creates it (NCCL
 * asks the runtime, which sees the driver's current context), so a rank's thread makes its
 * backend's context current first.
 */
@SuppressWarnings("restricted") // binding native libraries through FFM is what this class is for
public final class Nccl {

  /** The sonames tried; NCCL 2 has kept its soname since 2.0. */
  static final List<String> SONAMES = List.of("libnccl.so.2");

  // Values from nccl.h (NVIDIA/nccl, src/nccl.h.in, NCCL 2.x; bfloat16 since 2.10). The simulator's
  // cudasim_nccl.h states the same, and NcclTest runs every call through both.
  /**
   * {@code NCCL_UNIQUE_ID_BYTES}: the size of {@code ncclUniqueId}, passed by value to
   * ncclCommInitRank.
   */
  public static final int UNIQUE_ID_BYTES = 128;

  static final int NCCL_SUCCESS = 0;
  static final int NCCL_REMOTE_ERROR = 6;
  static final int NCCL_IN_PROGRESS = 7;

  /** {@code ncclFloat32}. */
  public static final int FLOAT32 = 7;

  /** {@code ncclFloat64}. */
  public static final int FLOAT64 = 8;

  /** {@code ncclBfloat16}. */
  public static final int BFLOAT16 = 9;

  /** {@code ncclSum}. */
  static final int SUM = 0;

  private static final MemoryLayout UNIQUE_ID =
      MemoryLayout.structLayout(
              MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, JAVA_BYTE).withName("internal"))
          .withName("ncclUniqueId");

  private final String soname;
  private final MethodHandle getVersion;
  private final MethodHandle getUniqueId;
  private final MethodHandle commInitRank;
  private final MethodHandle commDestroy;
  private final MethodHandle commAbort;
  private final MethodHandle allReduce;
  private final MethodHandle broadcast;
  private final MethodHandle groupStart;
  private final MethodHandle groupEnd;
  private final MethodHandle getErrorString;
  private final MethodHandle getLastError;

  private Nccl(NativeLibrary lib) {
    soname = lib.soname;
    getVersion = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "ncclGetVersion");
    getUniqueId = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "ncclGetUniqueId");
    // ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank): the id by
    // value.
    commInitRank =
        lib.bind(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT),
            "ncclCommInitRank");
    commDestroy = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "ncclCommDestroy");
    commAbort = lib.bind(FunctionDescriptor.of(JAVA_INT, ADDRESS), "ncclCommAbort");
    // ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
    // ncclRedOp_t op,
    //               ncclComm_t comm, cudaStream_t stream)
    allReduce =
        lib.bind(
            FunctionDescriptor.of(
                JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            "ncclAllReduce");
    // ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
    // int root,
    //               ncclComm_t comm, cudaStream_t stream)
    broadcast =
        lib.bind(
            FunctionDescriptor.of(
                JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            "ncclBroadcast");
    groupStart = lib.bind(FunctionDescriptor.of(JAVA_INT), "ncclGroupStart");
    groupEnd = lib.bind(FunctionDescriptor.of(JAVA_INT), "ncclGroupEnd");
    getErrorString = lib.bind(FunctionDescriptor.of(ADDRESS, JAVA_INT), "ncclGetErrorString");
    getLastError = lib.bindOptional(FunctionDescriptor.of(ADDRESS, ADDRESS), "ncclGetLastError");
  }

  /**
   * Opens libnccl.so.2.
   *
   * @throws LorakitInputException when it is not installed (one sentence naming where it was looked
   *     for)
   */
  public static Nccl load() {
    return load(SONAMES, System.getenv());
  }

  static Nccl load(List<String> sonames, Map<String, String> env) {
    List<String> tried = new ArrayList<>();
    return NativeLibrary.open(sonames, env, tried)
        .map(Nccl::new)
        .orElseThrow(
            () ->
                new LorakitInputException(
                    "Training on several GPUs needs NVIDIA's NCCL (libnccl.so.2), which was not "
                        + "found (tried "
                        + String.join(", ", tried)
                        + "); install it (the libnccl2 package, or "
                        + "the nvidia-nccl wheel) or set LORAKIT_CUDA_LIB to the folder that holds it."));
  }

  /** The soname that was opened. */
  String soname() {
    return soname;
  }

  /** NCCL's version code, e.g. 22703 for 2.27.3. */
  public int version() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check((int) getVersion.invokeExact(v), "ncclGetVersion", null);
      return v.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * A new unique id (128 bytes) that names one communicator; rank 0 makes it and hands it to the
   * others.
   */
  public byte[] uniqueId() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment id = a.allocate(UNIQUE_ID);
      check((int) getUniqueId.invokeExact(id), "ncclGetUniqueId", null);
      return id.toArray(JAVA_BYTE);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Joins rank {@code rank} of {@code nranks} to the communicator named by {@code id}, on the CUDA
   * device current on this thread; returns when every rank has joined.
   */
  public Communicator join(byte[] id, int nranks, int rank) {
    if (id.length != UNIQUE_ID_BYTES) {
      throw new IllegalArgumentException(
          "An NCCL unique id has " + UNIQUE_ID_BYTES + " bytes, not " + id.length + ".");
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment comm = a.allocate(ADDRESS);
      MemorySegment byValue = a.allocate(UNIQUE_ID);
      MemorySegment.copy(id, 0, byValue, JAVA_BYTE, 0, UNIQUE_ID_BYTES);
      check(
          (int) commInitRank.invokeExact(comm, nranks, byValue, rank),
          "ncclCommInitRank(rank " + rank + " of " + nranks + ")",
          null);
      return new Communicator(comm.get(ADDRESS, 0), rank, nranks);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Starts a group: the collectives up to {@link #groupEnd} are launched together. */
  public void groupStart() {
    try {
      check((int) groupStart.invokeExact(), "ncclGroupStart", null);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Ends a group, launching its collectives. */
  public void groupEnd() {
    try {
      check((int) groupEnd.invokeExact(), "ncclGroupEnd", null);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** NCCL's text for a result code. */
  public String errorString(int result) {
    try {
      return ((MemorySegment) getErrorString.invokeExact(result)).reinterpret(1024).getString(0);
    } catch (Throwable t) {
      return "ncclResult_t " + result;
    }
  }

  private String lastError(MemorySegment comm) {
    if (getLastError == null) {
      return "";
    }
    try {
      MemorySegment s =
          (MemorySegment) getLastError.invokeExact(comm == null ? MemorySegment.NULL : comm);
      return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
    } catch (Throwable t) {
      return "";
    }
  }

  private void check(int result, String call, MemorySegment comm) {
    if (result != NCCL_SUCCESS) {
      String detail = lastError(comm);
      throw new Failure(
          result,
          call
              + " failed with "
              + errorString(result)
              + (detail.isBlank() ? "" : ": " + detail)
              + ".");
    }
  }

  private static RuntimeException rethrow(Throwable t) {
    return t instanceof RuntimeException r ? r : new IllegalStateException(t);
  }

  /** A call to NCCL that did not return ncclSuccess; {@link #result} is its ncclResult_t. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int result;

    Failure(int result, String message) {
      super(message);
      this.result = result;
    }

    /** The ncclResult_t. */
    public int result() {
      return result;
    }

    /** Whether a peer went away or the communicator was aborted (ncclRemoteError). */
    public boolean remote() {
      return result == NCCL_REMOTE_ERROR;
    }
  }

  /** One rank's communicator. Close destroys it; {@link #abort} releases ranks waiting on it. */
  public final class Communicator implements AutoCloseable {
    private final MemorySegment comm;
    private final int rank;
    private final int size;
    private boolean closed;

    private Communicator(MemorySegment comm, int rank, int size) {
      this.comm = comm;
      this.rank = rank;
      this.size = size;
    }

    public int rank() {
      return rank;
    }

    public int size() {
      return size;
    }

    /**
     * Sums {@code count} elements of {@code type} ({@link #FLOAT32}, {@link #FLOAT64}, {@link
     * #BFLOAT16}) at the device address {@code send} across the ranks into {@code recv} (may be
     * {@code send}), enqueued on {@code stream}.
     */
    public void allReduceSum(long send, long recv, long count, int type, MemorySegment stream) {
      try {
        check(
            (int) allReduce.invokeExact(send, recv, count, type, SUM, comm, stream),
            "ncclAllReduce(" + count + " elements)",
            comm);
      } catch (Throwable t) {
        throw rethrow(t);
      }
    }

    /**
     * Copies {@code count} elements of {@code type} from rank {@code root}'s {@code send} to every
     * {@code recv}.
     */
    public void broadcast(
        long send, long recv, long count, int type, int root, MemorySegment stream) {
      try {
        check(
            (int) broadcast.invokeExact(send, recv, count, type, root, comm, stream),
            "ncclBroadcast(" + count + " elements)",
            comm);
      } catch (Throwable t) {
        throw rethrow(t);
      }
    }

    /**
     * Aborts the communicator: operations waiting on it end with an error. May be called from
     * another thread than the rank's (NCCL's way to release a rank blocked on peers that are gone).
     * Close it afterwards only when no thread uses it any more.
     */
    public void abort() {
      try {
        int ignored = (int) commAbort.invokeExact(comm);
      } catch (Throwable t) {
        throw rethrow(t);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          check((int) commDestroy.invokeExact(comm), "ncclCommDestroy", comm);
        } catch (Throwable t) {
          throw rethrow(t);
        }
      }
    }
  }
}
