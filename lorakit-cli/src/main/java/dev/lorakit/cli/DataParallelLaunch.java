package dev.lorakit.cli;

import dev.lorakit.core.LorakitInputException;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.train.DeviceGroup;
import dev.lorakit.core.train.Trainer;
import dev.lorakit.eval.cases.Task;
import dev.lorakit.eval.prompt.PromptTemplates;
import dev.lorakit.models.LoraModel;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code train --gpus N} and {@code train --distributed}: data-parallel training over NCCL. Rank 0
 * runs the ordinary training run (the output folder, log, progress, checkpoints and adapter are its
 * alone); every other rank loads the model and data on its own GPU and trains the same adapter,
 * writing nothing.
 *
 * <p>{@code --gpus N}: this process drives GPUs 0 to N-1, rank r on a thread of its own with GPU
 * r's context. {@code --distributed}: this process is one rank of a run whose processes a launcher
 * started (torchrun, srun, mpirun with torchrun's variables): {@code RANK}, {@code WORLD_SIZE},
 * {@code LOCAL_RANK} (else Slurm's {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code
 * SLURM_LOCALID}) say which, and rank 0 hands NCCL's unique id to the others over a TCP rendezvous
 * at {@code MASTER_ADDR:MASTER_PORT} (port 29500 when not given, as torchrun's; the port after it
 * under torchrun, whose agent keeps its own store on MASTER_PORT; {@code LORAKIT_RENDEZVOUS_PORT}
 * names another).
 */
final class DataParallelLaunch implements AutoCloseable {

  static final int DEFAULT_PORT = 29500;
  private static final int MAGIC = 0x4c4b5256; // "LKRV"

  /** What a rank other than 0 needs to train: the same model, data and settings as rank 0. */
  record Job(
      Path model,
      Precision precision,
      TrainingData data,
      List<Task> tasks,
      PromptTemplates prompts,
      TrainSettings settings) {}

  private final int rank;
  private final int size;
  private final int localRank;
  private final String masterAddr;
  private final int masterPort;
  private final boolean threads;
  private final int rendezvousSeconds;
  private final DeviceGroup group;
  private final List<Thread> workers = new ArrayList<>();
  private final List<Throwable> workerFailures = new ArrayList<>();
  private DeviceGroup.Member parallel;

  private DataParallelLaunch(
      int rank,
      int size,
      int localRank,
      String masterAddr,
      int masterPort,
      boolean threads,
      int rendezvousSeconds,
      DeviceGroup group) {
    this.rank = rank;
    this.size = size;
    this.localRank = localRank;
    this.masterAddr = masterAddr;
    this.masterPort = masterPort;
    this.threads = threads;
    this.rendezvousSeconds = rendezvousSeconds;
    this.group = group;
  }

  /**
   * The launch that {@code --gpus} and {@code --distributed} ask for, or null for training on one
   * device.
   *
   * @throws LorakitInputException in one sentence for a contradiction, too few GPUs, a missing NCCL
   *     or a bad launcher environment
   */
  static DataParallelLaunch of(
      int gpus, boolean distributed, String device, int gradAccum, Map<String, String> env) {
    if (gpus < 1) throw new LorakitInputException("--gpus is " + gpus + ", expected at least 1.");
    if (distributed && gpus > 1) {
      throw new LorakitInputException(
          "--gpus "
              + gpus
              + " runs all ranks in this process and --distributed one rank "
              + "per process under a launcher; give one of them.");
    }
    if (!distributed && gpus == 1) return null;
    String what = distributed ? "--distributed" : "--gpus " + gpus;
    if (!device.equals("cuda") && !device.equals("auto")) {
      throw new LorakitInputException(
          what + " trains on CUDA GPUs, not on --device " + device + ".");
    }
    DeviceGroup group =
        DeviceGroup.named("cuda")
            .orElseThrow(
                () ->
                    new LorakitInputException(
                        what
                            + " needs lorakit's CUDA backend (lora-cuda), which is not on the class path."));
    Optional<String> unavailable = group.unavailableReason();
    if (unavailable.isPresent()) {
      throw new LorakitInputException(what + " needs NVIDIA GPUs, but " + unavailable.get());
    }
    int present = group.deviceCount();
    int rank = 0;
    int size = gpus;
    int localRank = 0;
    String addr = null;
    int port = DEFAULT_PORT;
    if (distributed) {
      boolean torch = env.containsKey("RANK") || env.containsKey("WORLD_SIZE");
      String rankVar = torch ? "RANK" : "SLURM_PROCID";
      String sizeVar = torch ? "WORLD_SIZE" : "SLURM_NTASKS";
      String localVar = torch ? "LOCAL_RANK" : "SLURM_LOCALID";
      if (!env.containsKey(rankVar) || !env.containsKey(sizeVar)) {
        throw new LorakitInputException(
            "--distributed needs its rank and world size from the launcher: RANK and "
                + "WORLD_SIZE (torchrun) or SLURM_PROCID and SLURM_NTASKS (srun), and "
                + (torch ? (env.containsKey("RANK") ? "WORLD_SIZE" : "RANK") : "neither")
                + " is set.");
      }
      size = integer(env, sizeVar, 1, Integer.MAX_VALUE);
      rank = integer(env, rankVar, 0, size - 1);
      localRank = env.containsKey(localVar) ? integer(env, localVar, 0, Integer.MAX_VALUE) : rank;
      if (present == 1) {
        localRank =
            0; // the launcher gave this process one GPU (CUDA_VISIBLE_DEVICES, srun --gpus-per-task
        // 1)
      } else if (localRank >= present) {
        throw new LorakitInputException(
            localVar
                + " is "
                + localRank
                + ", but this machine has "
                + present
                + " GPU"
                + (present == 1 ? "" : "s")
                + " (0 to "
                + (present - 1)
                + ").");
      }
      addr = env.get("MASTER_ADDR");
      if (addr == null || addr.isBlank()) {
        throw new LorakitInputException(
            "--distributed needs MASTER_ADDR, the host of rank 0 where the ranks meet, "
                + "in the environment.");
      }
      if (env.containsKey("MASTER_PORT")) port = integer(env, "MASTER_PORT", 1, 65535);
      if (env.containsKey("LORAKIT_RENDEZVOUS_PORT")) {
        port = integer(env, "LORAKIT_RENDEZVOUS_PORT", 1, 65535);
      } else if ("True".equalsIgnoreCase(env.get("TORCHELASTIC_USE_AGENT_STORE"))) {
        port =
            port == 65535
                ? port - 1
                : port + 1; // torchrun's own store holds MASTER_PORT on rank 0's host
      }
    } else if (gpus > present) {
      throw new LorakitInputException(
          "--gpus " + gpus + " asks for more GPUs than this machine has (" + present + ").");
    }
    if (gradAccum % size != 0) {
      throw new LorakitInputException(
          "--grad-accum "
              + gradAccum
              + " is not a multiple of the "
              + size
              + " GPUs: each "
              + "computes the same share of every step's micro-batches; give --grad-accum "
              + ((gradAccum + size - 1) / size * size)
              + ".");
    }
    int seconds =
        env.containsKey("LORAKIT_RENDEZVOUS_TIMEOUT")
            ? integer(env, "LORAKIT_RENDEZVOUS_TIMEOUT", 1, Integer.MAX_VALUE)
            : 300;
    group.loadCollectives();
    return new DataParallelLaunch(rank, size, localRank, addr, port, !distributed, seconds, group);
  }

  private static int integer(Map<String, String> env, String name, int min, int max) {
    String v = env.get(name).trim();
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException e) {
      // said below
    }
    throw new LorakitInputException(
        name
            + " is \""
            + v
            + "\", expected a whole number from "
            + min
            + (max == Integer.MAX_VALUE ? " up" : " to " + max)
            + ".");
  }

  int rank() {
    return rank;
  }

  int worldSize() {
    return size;
  }

  /** The port rank 0 serves the rendezvous on. */
  int rendezvousPort() {
    return masterPort;
  }

  /** Rank 0's GPU. */
  Backend rankZeroBackend() {
    return group.open(localRank);
  }

  /**
   * Rank 0: starts the other ranks (threads, or waits for the other processes at the rendezvous)
   * and joins the communicator with them; returns rank 0's side of it.
   */
  DeviceGroup.Member startRankZero(Backend backend, Job job) throws IOException {
    byte[] id = group.newGroupId();
    if (threads) {
      for (int r = 1; r < size; r++) {
        int worker = r;
        Thread t =
            new Thread(
                () -> {
                  try {
                    trainRank(job, id, worker, worker);
                  } catch (Throwable e) {
                    synchronized (workerFailures) {
                      workerFailures.add(e);
                    }
                  }
                },
                "lorakit-rank-" + r);
        t.setDaemon(true); // a rank left waiting for a failed peer does not keep the JVM alive
        t.start();
        workers.add(t);
      }
    } else {
      handOutId(id);
    }
    parallel = group.join(backend, id, 0, size);
    return parallel;
  }

  /**
   * A rank other than 0 of {@code --distributed}: fetches the id from rank 0 and trains, writing
   * nothing.
   */
  void runRank(Job job) throws IOException {
    trainRank(job, fetchId(), rank, localRank);
  }

  private void trainRank(Job job, byte[] id, int r, int device) throws IOException {
    try (Backend backend = group.open(device);
        LoraModel m = LoraModel.open(job.model(), backend, job.precision())) {
      TaskExamples examples =
          job.data()
              .examples(job.tasks(), job.prompts(), m.tokenizer(), job.settings().maxSeqLen());
      try (DeviceGroup.Member dp = group.join(backend, id, r, size)) {
        FineTune.trainAsRank(m, backend, examples.examples(), job.settings(), dp);
      }
    }
  }

  /**
   * Waits for the other ranks' threads (telling them to leave if rank 0 never trained); a failure
   * of one is thrown.
   */
  void finish() {
    leaveIfUntrained();
    for (Thread t : workers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    synchronized (workerFailures) {
      if (!workerFailures.isEmpty()) {
        Throwable first = workerFailures.getFirst();
        if (first instanceof RuntimeException r) throw r;
        if (first instanceof Error e) throw e;
        throw new UncheckedIOException(new IOException("rank training failed", first));
      }
    }
  }

  /**
   * Tells the other ranks to leave if rank 0 never trained, then destroys rank 0's communicator.
   */
  @Override
  public void close() {
    if (parallel != null) {
      try {
        leaveIfUntrained();
      } finally {
        parallel.close();
        parallel = null;
      }
    }
  }

  /**
   * Rank 0 that never trained (a resumed run already finished, a stop before the first step, a
   * failure on the way) tells the other ranks, which wait for its first step, to leave.
   */
  private void leaveIfUntrained() {
    if (parallel != null && !parallel.used()) Trainer.leave(parallel);
  }

  // ---- the TCP rendezvous: rank 0 serves the unique id to the others
  // -------------------------------------------

  private void handOutId(byte[] id) throws IOException {
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      try {
        server.bind(new InetSocketAddress(masterPort));
      } catch (IOException e) {
        throw new LorakitInputException(
            "Rank 0 cannot listen on port "
                + masterPort
                + " for the rendezvous ("
                + e.getMessage()
                + "); choose a free MASTER_PORT (or LORAKIT_RENDEZVOUS_PORT).");
      }
      long deadline = System.nanoTime() + rendezvousSeconds * 1_000_000_000L;
      boolean[] arrived = new boolean[size];
      arrived[0] = true;
      for (int joined = 1; joined < size; joined++) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        server.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left)));
        try (Socket s = server.accept()) {
          s.setSoTimeout(30_000);
          DataInputStream in = new DataInputStream(s.getInputStream());
          int magic = in.readInt();
          int r = in.readInt();
          int n = in.readInt();
          if (magic != MAGIC || n != size || r < 1 || r >= size || arrived[r]) {
            throw new LorakitInputException(
                "A process reached the rendezvous at port "
                    + masterPort
                    + " as rank "
                    + r
                    + " of "
                    + n
                    + ", but this run has "
                    + size
                    + " ranks"
                    + (r >= 1 && r < size && arrived[r]
                        ? " and rank " + r + " has already joined"
                        : "")
                    + "; check RANK and WORLD_SIZE of each process.");
          }
          arrived[r] = true;
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          out.write(id);
          out.flush();
        } catch (SocketTimeoutException e) {
          List<Integer> missing = new ArrayList<>();
          for (int r = 1; r < size; r++) if (!arrived[r]) missing.add(r);
          throw new LorakitInputException(
              "Rank"
                  + (missing.size() == 1 ? " " : "s ")
                  + missing
                  + " did not reach "
                  + "the rendezvous at port "
                  + masterPort
                  + " within "
                  + rendezvousSeconds
                  + " s "
                  + "(LORAKIT_RENDEZVOUS_TIMEOUT); check that every process was started with the same WORLD_SIZE, "
                  + "MASTER_ADDR and MASTER_PORT.");
        }
      }
    }
  }

  private byte[] fetchId() throws IOException {
    long deadline = System.nanoTime() + rendezvousSeconds * 1_000_000_000L;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(masterAddr, masterPort), 5_000);
        s.setSoTimeout(
            (int)
                Math.max(
                    1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000)));
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(MAGIC);
        out.writeInt(rank);
        out.writeInt(size);
        out.flush();
        byte[] id = new byte[group.groupIdBytes()];
        new DataInputStream(s.getInputStream()).readFully(id);
        return id;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new LorakitInputException(
              "Rank "
                  + rank
                  + " could not get the run's id from rank 0 at "
                  + masterAddr
                  + ", port "
                  + masterPort
                  + " within "
                  + rendezvousSeconds
                  + " s ("
                  + e.getMessage()
                  + "); check that rank 0 runs and that the address is reachable.");
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for rank 0", ie);
        }
      }
    }
  }
}
