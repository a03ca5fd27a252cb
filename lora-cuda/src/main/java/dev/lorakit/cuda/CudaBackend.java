package dev.lorakit.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.backend.OpArguments;
import dev.lorakit.core.tensor.DType;
import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.core.tensor.Precision;
import dev.lorakit.core.tensor.Shape;
import dev.lorakit.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The {@link Backend} on one NVIDIA GPU. Tensors live in device memory from a caching allocator;
 * every op is enqueued on one stream (so ops run in call order without host synchronisation) and
 * only the ops that return host values wait for it. Matrix products go to cuBLAS (fp32, or
 * bf16/fp16 operands with fp32 accumulation); everything else is a small kernel from {@code
 * resources/dev/lorakit/cuda/kernels}, compiled by NVRTC for this GPU on first use and cached on
 * disk.
 *
 * <p>Dtypes: compute ops take F32 as the Backend contract says, and this backend {@link #supports
 * supports} {@link Precision#BF16}: {@code matmul} takes BF16/F16 operands (an F32 operand paired
 * with a 16-bit one, or F32 operands with a 16-bit output, are rounded to that dtype, so the
 * product runs on tensor cores with F32 accumulation); {@code embedding} reads BF16/F16 tables;
 * {@code rmsNorm}, {@code rope}, {@code attention}, {@code swiglu}, their backwards and {@code
 * dropout} take the BF16 activations of the bf16 decoder (statistics, softmax and gradients stay
 * F32). {@code copy} converts.
 */
public final class CudaBackend implements Backend {

  private final OpName op = new OpName();
  private final CudaDriver driver;
  private final int device;
  private final String deviceName;
  private final int ccMajor;
  private final int ccMinor;
  private final MemorySegment context;
  private final MemorySegment stream;
  private final DeviceAllocator allocator;
  private final CuBlas blas;
  private final Kernels kernels;
  private final FlashAttention flash;
  private Thread boundThread;
  private boolean closed;
  private long hostReads;

  /** The backend on device 0. */
  public CudaBackend() {
    this(0);
  }

  /**
   * The backend on device {@code ordinal}.
   *
   * @throws CudaException when the driver, cuBLAS or NVRTC cannot be loaded, the driver is older
   *     than CUDA 12, or there is no such device
   */
  public CudaBackend(int ordinal) {
    this(ordinal, NativeLibrary::require);
  }

  /**
   * How the backend opens cuBLAS and NVRTC (tests make one fail to check what the constructor gives
   * back).
   */
  @FunctionalInterface
  interface LibraryLoader {
    /**
     * The first of {@code sonames} found, or a {@link CudaException} naming {@code what} and where
     * it looked.
     */
    NativeLibrary load(String what, List<String> sonames);
  }

  CudaBackend(int ordinal, LibraryLoader libraries) {
    driver =
        new CudaDriver(NativeLibrary.require("the NVIDIA CUDA driver", CudaDriver.SONAMES), op);
    int rc = driver.init();
    if (rc != CudaDriver.CUDA_SUCCESS) {
      throw new CudaException(
          rc, "cuInit failed with " + driver.describe(rc) + ": no usable NVIDIA GPU.");
    }
    int driverVersion = driver.driverVersion();
    CudaDriver.unsupported(driverVersion)
        .ifPresent(
            reason -> {
              throw new CudaException(reason);
            });
    int count = driver.deviceCount();
    if (ordinal < 0 || ordinal >= count) {
      throw new CudaException(
          "There is no CUDA device " + ordinal + "; this machine has " + count + ".");
    }
    device = driver.device(ordinal);
    deviceName = driver.deviceName(device);
    ccMajor = driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    ccMinor = driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    if (ccMajor < 8) {
      throw new CudaException(
          deviceName
              + " has compute capability "
              + ccMajor
              + "."
              + ccMinor
              + "; lorakit needs 8.0 or newer (bf16 tensor cores).");
    }
    context = driver.primaryContextRetain(device);
    // From here on every resource is given back if a later step fails (a missing cuBLAS or NVRTC,
    // most often),
    // so a failed construction leaves the process as it found it.
    MemorySegment createdStream = null;
    DeviceAllocator createdAllocator = null;
    CuBlas createdBlas = null;
    Kernels createdKernels = null;
    try {
      driver.setCurrent(context);
      boundThread = Thread.currentThread();
      createdStream = driver.streamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
      createdAllocator = new DeviceAllocator(new DriverMemory(driver));
      createdBlas =
          new CuBlas(libraries.load("cuBLAS", CuBlas.sonames(driverVersion)), op, createdStream);
      Nvrtc nvrtc = new Nvrtc(libraries.load("NVRTC", Nvrtc.sonames(driverVersion)));
      createdKernels =
          new Kernels(
              driver,
              nvrtc,
              new KernelCache(
                  KernelCache.defaultDir(System.getenv(), System.getProperty("user.home"))),
              ccMajor,
              ccMinor);
    } catch (RuntimeException | Error e) {
      release(new Cleanup(e), createdKernels, createdBlas, createdAllocator, createdStream);
      throw e;
    }
    stream = createdStream;
    allocator = createdAllocator;
    blas = createdBlas;
    kernels = createdKernels;
    flash =
        new FlashAttention(
            kernels, stream, allocator, System.getProperty(FlashAttention.PROPERTY, "flash"));
  }

  /**
   * Device memory straight from the driver, with out-of-memory as 0 (the allocator's signal to free
   * its cache).
   */
  private record DriverMemory(CudaDriver driver) implements DeviceMemory {
    @Override
    public long allocate(long bytes) {
      try {
        return driver.memAlloc(bytes);
      } catch (CudaException e) {
        if (e.driverResult() == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY) {
          return 0;
        }
        throw e;
      }
    }

    @Override
    public void free(long pointer) {
      driver.memFree(pointer);
    }

    @Override
    public long[] info() {
      return driver.memInfo();
    }
  }

  /**
   * Gives back, in reverse order of creation, whatever of the backend exists (null: not created),
   * then the primary context; every step runs whatever the others do.
   */
  private void release(Cleanup cleanup, Kernels k, CuBlas b, DeviceAllocator a, MemorySegment s) {
    if (k != null) {
      cleanup.run(k::close);
    }
    if (b != null) {
      cleanup.run(b::close);
    }
    if (a != null) {
      cleanup.run(a::close);
    }
    if (s != null) {
      cleanup.run(() -> driver.streamDestroy(s));
    }
    cleanup.run(() -> driver.primaryContextRelease(device));
  }

  @Override
  public String name() {
    return "cuda (" + deviceName + ", sm_" + ccMajor + ccMinor + ")";
  }

  /** fp32 and bf16 (every supported GPU, compute capability 8.0 on, has bf16 tensor cores). */
  @Override
  public boolean supports(Precision precision) {
    return true;
  }

  String deviceName() {
    return deviceName;
  }

  String computeCapability() {
    return ccMajor + "." + ccMinor;
  }

  int driverVersion() {
    return driver.driverVersion();
  }

  int cublasVersion() {
    return blas.version();
  }

  String cublasLibrary() {
    return blas.soname();
  }

  String nvrtcVersion() {
    return kernels.nvrtcVersion();
  }

  /** {@code {free, total}} device bytes as the driver sees them. */
  long[] memoryInfo() {
    enter("memoryInfo");
    return driver.memInfo();
  }

  /** The device's memory in bytes ({@code cuDeviceTotalMem}). */
  long totalMemory() {
    return driver.totalMemory(device);
  }

  DeviceAllocator allocator() {
    return allocator;
  }

  FlashAttention flashAttention() {
    return flash;
  }

  CudaDriver driver() {
    return driver;
  }

  int device() {
    return device;
  }

  MemorySegment context() {
    return context;
  }

  /**
   * Compiles and loads every kernel; returns how many NVRTC compiled (the rest came from the
   * cache).
   */
  int loadAllKernels() {
    enter("kernel loading");
    return kernels.loadAll();
  }

  /** Waits for all enqueued work. */
  void synchronize() {
    enter("synchronize");
    driver.streamSynchronize(stream);
  }

  /** The kernels and the stream, for tools that launch one kernel alone. */
  Kernels kernels() {
    return kernels;
  }

  MemorySegment stream() {
    return stream;
  }

  /**
   * Device memory holding {@code values}, owned by the caller (give it back with {@code
   * allocator().release}).
   */
  long deviceInts(int[] values) {
    enter("deviceInts");
    return uploadInts(values);
  }

  /** Names the op for error messages and makes the context current if another thread calls now. */
  private void enter(String name) {
    if (closed) {
      throw new IllegalStateException("The CUDA backend was closed; " + name + " cannot run.");
    }
    op.set(name);
    if (boundThread != Thread.currentThread()) {
      driver.setCurrent(context);
      boundThread = Thread.currentThread();
    }
  }

  // ---- tensors
  // -----------------------------------------------------------------------------------------

  private CudaTensor cuda(Tensor t, String what) {
    if (!(t instanceof CudaTensor c) || c.owner != this) {
      throw new IllegalArgumentException(
          op.get() + ": " + what + " was not made by this CUDA backend: " + t + ".");
    }
    return c;
  }

  private long f32(Tensor t, String what) {
    CudaTensor c = cuda(t, what);
    OpArguments.f32(op.get(), what, c);
    return c.pointer();
  }

  private long ptrOrNull(Tensor t, String what) {
    return t == null ? 0L : f32(t, what);
  }

  /** An activation of the F32 or the BF16 decoder. */
  private CudaTensor activation(Tensor t, String what) {
    CudaTensor c = cuda(t, what);
    OpArguments.activation(this, op.get(), what, c);
    return c;
  }

  /**
   * The kernel name for activations of {@code dtype}: {@code base} for F32, {@code base + "_bf16"}
   * for BF16.
   */
  private static String typed(String base, DType dtype) {
    return dtype == DType.BF16 ? base + "_bf16" : base;
  }

  private void sameDType(CudaTensor first, CudaTensor... others) {
    OpArguments.sameDType(op.get(), first, others);
  }

  private static int cols(Tensor t) {
    return t.shape().dim(-1);
  }

  void release(CudaTensor t, long pointer) {
    if (!closed) {
      allocator.release(pointer);
    }
  }

  private CudaTensor allocate(DType dtype, Shape shape) {
    return new CudaTensor(
        this, dtype, shape, allocator.allocate(shape.size() * dtype.bytes(), op.get()));
  }

  /** A scratch block for the current op; give it back with {@link DeviceAllocator#release}. */
  private long scratch(long bytes) {
    return allocator.allocate(bytes, op.get());
  }

  /**
   * Copies {@code bytes} of device memory at {@code src} to {@code host} once the work before it is
   * done, and counts the wait: each one stalls the host until the stream drains.
   */
  private void readBack(MemorySegment host, long src, long bytes) {
    driver.copyDeviceToHost(host, src, bytes, stream);
    driver.streamSynchronize(stream);
    hostReads++;
  }

  /**
   * How many times an op has waited for the device to copy a result back (see {@link #readBack}).
   */
  long hostReads() {
    return hostReads;
  }

  private long uploadInts(int[] values) {
    long p = scratch(4L * values.length);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host = a.allocateFrom(JAVA_INT, values);
      driver.copyHostToDevice(p, host, 4L * values.length, stream);
      // The host buffer dies with the arena: wait until the copy has read it.
      driver.streamSynchronize(stream);
    }
    return p;
  }

  // ---- memory
  // ------------------------------------------------------------------------------------------

  @Override
  public Tensor zeros(DType dtype, Shape shape) {
    enter("zeros");
    CudaTensor t = allocate(dtype, shape);
    driver.memsetD8(t.pointer(), (byte) 0, t.bytes(), stream);
    return t;
  }

  @Override
  public Tensor upload(float[] data, DType dtype, Shape shape) {
    enter("upload");
    OpArguments.upload(data, shape);
    CudaTensor t = allocate(dtype, shape);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host;
      if (dtype == DType.F32) {
        host = a.allocateFrom(JAVA_FLOAT, data);
      } else {
        host = a.allocate(JAVA_SHORT, data.length);
        for (int i = 0; i < data.length; i++) {
          host.setAtIndex(
              JAVA_SHORT,
              i,
              dtype == DType.BF16
                  ? HalfPrecision.floatToBf16(data[i])
                  : HalfPrecision.floatToF16(data[i]));
        }
      }
      driver.copyHostToDevice(t.pointer(), host, t.bytes(), stream);
      driver.streamSynchronize(stream);
    }
    return t;
  }

  @Override
  public float[] download(Tensor t) {
    enter("download");
    CudaTensor c = cuda(t, "download");
    int n = Math.toIntExact(c.size());
    float[] out = new float[n];
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host = a.allocate(Math.max(1, c.bytes()), 8);
      readBack(host, c.pointer(), c.bytes());
      for (int i = 0; i < n; i++) {
        out[i] =
            switch (c.dtype()) {
              case F32 -> host.getAtIndex(JAVA_FLOAT, i);
              case BF16 -> HalfPrecision.bf16ToFloat(host.getAtIndex(JAVA_SHORT, i));
              case F16 -> HalfPrecision.f16ToFloat(host.getAtIndex(JAVA_SHORT, i));
            };
      }
    }
    return out;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    enter("copy");
    CudaTensor s = cuda(src, "copy source");
    CudaTensor d = cuda(dst, "copy destination");
    OpArguments.copy(src, dst);
    if (s.dtype() == d.dtype()) {
      if (s.pointer() != d.pointer()) {
        driver.copyDeviceToDevice(d.pointer(), s.pointer(), s.bytes(), stream);
      }
      return;
    }
    String kernel = "cast_" + suffix(s.dtype()) + "_to_" + suffix(d.dtype());
    kernels.launch(kernel, stream, Kernels.blocksFor(s.size()), s.pointer(), d.pointer(), s.size());
  }

  private static String suffix(DType t) {
    return switch (t) {
      case F32 -> "f32";
      case BF16 -> "bf16";
      case F16 -> "f16";
    };
  }

  @Override
  public void copyAt(Tensor src, Tensor dst, int batch, int position) {
    enter("copyAt");
    CudaTensor s = cuda(src, "copyAt source");
    CudaTensor d = cuda(dst, "copyAt destination");
    OpArguments.copyAt(src, dst, batch, position);
    int c = cols(src);
    long n = src.size() / c / batch;
    long capacity = dst.size() / c / batch;
    long rowBytes = (long) c * s.dtype().bytes();
    for (int b = 0; b < batch; b++) {
      driver.copyDeviceToDevice(
          d.pointer() + (b * capacity + position) * rowBytes,
          s.pointer() + b * n * rowBytes,
          n * rowBytes,
          stream);
    }
  }

  @Override
  public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int rows, int cols) {
    enter("copyColumns");
    CudaTensor s = cuda(src, "copyColumns source");
    CudaTensor d = cuda(dst, "copyColumns destination");
    OpArguments.copyColumns(src, srcCol, dst, dstCol, rows, cols);
    long n = (long) rows * cols;
    if (n == 0) {
      return;
    }
    if (rows == 1) {
      // A contiguous range: the driver's copy, no kernel.
      long bytes = s.dtype().bytes();
      driver.copyDeviceToDevice(
          d.pointer() + dstCol * bytes, s.pointer() + srcCol * bytes, n * bytes, stream);
      return;
    }
    kernels.launch(
        s.dtype().bytes() == 4 ? "copy_columns_b32" : "copy_columns_b16",
        stream,
        Kernels.blocksFor(n),
        s.pointer(),
        src.size() / rows,
        (long) srcCol,
        d.pointer(),
        dst.size() / rows,
        (long) dstCol,
        (long) rows,
        (long) cols);
  }

  @Override
  public void fill(Tensor t, float value) {
    enter("fill");
    CudaTensor c = cuda(t, "fill");
    switch (c.dtype()) {
      case F32 -> driver.memsetD32(c.pointer(), Float.floatToRawIntBits(value), c.size(), stream);
      case BF16 ->
          driver.memsetD16(c.pointer(), HalfPrecision.floatToBf16(value), c.size(), stream);
      case F16 -> driver.memsetD16(c.pointer(), HalfPrecision.floatToF16(value), c.size(), stream);
    }
  }

  // ---- elementwise and reductions
  // ----------------------------------------------------------------------

  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    enter("add");
    OpArguments.add(a, b, out);
    kernels.launch(
        "add_f32",
        stream,
        Kernels.blocksFor(a.size()),
        f32(a, "a"),
        f32(b, "b"),
        f32(out, "out"),
        a.size());
  }

  @Override
  public void addScaled(Tensor x, float alpha, Tensor y) {
    enter("addScaled");
    OpArguments.addScaled(x, y);
    kernels.launch(
        "add_scaled_f32",
        stream,
        Kernels.blocksFor(x.size()),
        f32(x, "x"),
        alpha,
        f32(y, "y"),
        x.size());
  }

  @Override
  public void scale(Tensor x, float s) {
    enter("scale");
    OpArguments.scale(x);
    kernels.launch("scale_f32", stream, Kernels.blocksFor(x.size()), f32(x, "x"), s, x.size());
  }

  @Override
  public double sumOfSquares(Tensor x) {
    return sumOfSquares(List.of(x));
  }

  /**
   * Every tensor's partial sums go to one device buffer, read back once: gradient clipping over
   * hundreds of LoRA matrices waits for the device once a step, not once a matrix. The partials of
   * each tensor are added in order, then the tensors in order, as one tensor at a time would.
   */
  @Override
  public double sumOfSquares(List<Tensor> xs) {
    enter("sumOfSquares");
    long[] pointers = new long[xs.size()];
    int[] blocks = new int[xs.size()];
    int total = 0;
    for (int i = 0; i < xs.size(); i++) {
      pointers[i] = f32(xs.get(i), "x");
      blocks[i] = Math.min(1024, Kernels.blocksFor(xs.get(i).size()));
      total += blocks[i];
    }
    if (total == 0) {
      return 0;
    }
    long partials = scratch(8L * total);
    try {
      for (int i = 0, at = 0; i < xs.size(); at += blocks[i], i++) {
        kernels.launch(
            "sum_squares_f32",
            stream,
            blocks[i],
            pointers[i],
            xs.get(i).size(),
            partials + 8L * at);
      }
      try (Arena a = Arena.ofConfined()) {
        MemorySegment host = a.allocate(JAVA_DOUBLE, total);
        readBack(host, partials, 8L * total);
        double sum = 0;
        for (int i = 0, at = 0; i < xs.size(); at += blocks[i], i++) {
          double tensor = 0;
          for (int b = 0; b < blocks[i]; b++) {
            tensor += host.getAtIndex(JAVA_DOUBLE, at + b);
          }
          sum += tensor;
        }
        return sum;
      }
    } finally {
      allocator.release(partials);
    }
  }

  @Override
  public boolean allFinite(Tensor x) {
    enter("allFinite");
    OpArguments.allFinite(x);
    long px = f32(x, "x");
    long flag = scratch(4);
    try {
      driver.memsetD32(flag, 0, 1, stream);
      kernels.launch("all_finite_f32", stream, Kernels.blocksFor(x.size()), px, x.size(), flag);
      try (Arena a = Arena.ofConfined()) {
        MemorySegment host = a.allocate(JAVA_INT);
        readBack(host, flag, 4);
        return host.get(JAVA_INT, 0) == 0;
      }
    } finally {
      allocator.release(flag);
    }
  }

  @Override
  public void dropout(Tensor x, Tensor out, float p, long seed) {
    enter("dropout");
    CudaTensor tx = cuda(x, "x");
    CudaTensor to = cuda(out, "out");
    OpArguments.dropout(this, x, out, p);
    long px = tx.pointer();
    long po = to.pointer();
    if (p == 0) {
      if (px != po) {
        driver.copyDeviceToDevice(po, px, tx.bytes(), stream);
      }
      return;
    }
    kernels.launch(
        tx.dtype() == DType.BF16 ? "dropout_bf16" : "dropout_f32",
        stream,
        Kernels.blocksFor(x.size()),
        px,
        po,
        x.size(),
        p,
        1f / (1f - p),
        seed);
  }

  // ---- linear algebra
  // ----------------------------------------------------------------------------------

  private static int cudaType(DType t) {
    return switch (t) {
      case F32 -> CuBlas.CUDA_R_32F;
      case BF16 -> CuBlas.CUDA_R_16BF;
      case F16 -> CuBlas.CUDA_R_16F;
    };
  }

  @Override
  public void matmul(
      Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
    enter("matmul");
    CudaTensor ta = cuda(a, "a");
    CudaTensor tb = cuda(b, "b");
    CudaTensor tc = cuda(c, "c");
    GemmPlan plan = GemmPlan.of(OpArguments.matmul(this, a, transA, b, transB, c), transA, transB);
    DType inType = OpArguments.matmulOperands(ta.dtype(), tb.dtype(), tc.dtype());
    if (plan.empty()) {
      return;
    }
    long pa = ta.pointer();
    long pb = tb.pointer();
    long tmpA = 0;
    long tmpB = 0;
    try {
      if (ta.dtype() != inType) {
        tmpA = scratch(a.size() * inType.bytes());
        kernels.launch(
            "cast_f32_to_" + suffix(inType),
            stream,
            Kernels.blocksFor(a.size()),
            pa,
            tmpA,
            a.size());
        pa = tmpA;
      }
      if (tb.dtype() != inType) {
        tmpB = scratch(b.size() * inType.bytes());
        kernels.launch(
            "cast_f32_to_" + suffix(inType),
            stream,
            Kernels.blocksFor(b.size()),
            pb,
            tmpB,
            b.size());
        pb = tmpB;
      }
      int t = cudaType(inType);
      int op1 = plan.transFirst() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N;
      int op2 = plan.transSecond() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment scalars = CuBlas.scalars(arena, alpha, beta);
        if (plan.batch() == 1) {
          blas.gemm(
              op1,
              op2,
              plan.m(),
              plan.n(),
              plan.k(),
              scalars,
              pb,
              t,
              plan.ldFirst(),
              pa,
              t,
              plan.ldSecond(),
              tc.pointer(),
              cudaType(tc.dtype()),
              plan.ldc());
        } else {
          blas.gemmStridedBatched(
              op1,
              op2,
              plan.m(),
              plan.n(),
              plan.k(),
              scalars,
              pb,
              t,
              plan.ldFirst(),
              plan.strideFirst(),
              pa,
              t,
              plan.ldSecond(),
              plan.strideSecond(),
              tc.pointer(),
              cudaType(tc.dtype()),
              plan.ldc(),
              plan.strideC(),
              plan.batch());
        }
      }
    } finally {
      if (tmpA != 0) {
        allocator.release(tmpA);
      }
      if (tmpB != 0) {
        allocator.release(tmpB);
      }
    }
  }

  /**
   * A row-major batched product on raw device blocks of F32: for each of {@code batch} items,
   * {@code c = alpha op(a) op(b) + beta c} with {@code a [m, k]} (or {@code [k, m]}), {@code b [k,
   * n]} (or {@code [n, k]}), {@code c [m, n]}, items packed contiguously.
   */
  private void batchedGemm(
      long a,
      boolean transA,
      long b,
      boolean transB,
      long c,
      int batch,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    Shape as = transA ? Shape.of(batch, k, m) : Shape.of(batch, m, k);
    Shape bs = transB ? Shape.of(batch, n, k) : Shape.of(batch, k, n);
    GemmPlan plan =
        GemmPlan.of(
            OpArguments.matmul(as, transA, bs, transB, Shape.of(batch, m, n)), transA, transB);
    if (plan.empty()) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      blas.gemmStridedBatched(
          plan.transFirst() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N,
          plan.transSecond() ? CuBlas.CUBLAS_OP_T : CuBlas.CUBLAS_OP_N,
          plan.m(),
          plan.n(),
          plan.k(),
          CuBlas.scalars(arena, alpha, beta),
          b,
          CuBlas.CUDA_R_32F,
          plan.ldFirst(),
          plan.strideFirst(),
          a,
          CuBlas.CUDA_R_32F,
          plan.ldSecond(),
          plan.strideSecond(),
          c,
          CuBlas.CUDA_R_32F,
          plan.ldc(),
          plan.strideC(),
          plan.batch());
    }
  }

  // ---- decoder ops
  // -------------------------------------------------------------------------------------

  @Override
  public void embedding(Tensor table, int[] ids, Tensor out) {
    enter("embedding");
    CudaTensor tab = cuda(table, "table");
    long po = f32(out, "out");
    OpArguments.embedding(table, ids, out);
    int h = cols(table);
    if (ids.length == 0) {
      return;
    }
    long dIds = uploadInts(ids);
    try {
      kernels.launch(
          "embedding_" + suffix(tab.dtype()),
          stream,
          Kernels.blocksFor((long) ids.length * h),
          tab.pointer(),
          dIds,
          po,
          (long) ids.length,
          h);
    } finally {
      allocator.release(dIds);
    }
  }

  @Override
  public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable) {
    enter("embeddingBackward");
    long g = f32(dOut, "dOut");
    long d = f32(dTable, "dTable");
    OpArguments.embeddingBackward(dOut, ids, dTable);
    int h = cols(dTable);
    if (ids.length == 0) {
      return;
    }
    RowScatter scatter = RowScatter.of(ids);
    long plan = uploadInts(scatter.packed());
    try {
      kernels.launch(
          "embedding_backward_f32",
          stream,
          Kernels.blocksFor((long) scatter.rows().length * h),
          g,
          plan,
          d,
          scatter.rows().length,
          h);
    } finally {
      allocator.release(plan);
    }
  }

  @Override
  public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
    enter("rmsNorm");
    CudaTensor tx = cuda(x, "x");
    CudaTensor to = cuda(out, "out");
    long pw = f32(weight, "weight");
    long pr = ptrOrNull(rstd, "rstd");
    OpArguments.rmsNorm(this, x, weight, out, rstd);
    int h = (int) weight.size();
    int rows = x.shape().rows();
    if (rows == 0) {
      return;
    }
    String kernel =
        tx.dtype() == to.dtype()
            ? "rmsnorm_" + suffix(tx.dtype())
            : "rmsnorm_" + suffix(tx.dtype()) + "_to_" + suffix(to.dtype());
    kernels.launch(kernel, stream, rows, tx.pointer(), pw, to.pointer(), pr, h, eps);
  }

  @Override
  public void rmsNormBackward(
      Tensor dOut, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dWeight) {
    enter("rmsNormBackward");
    long g = f32(dOut, "dOut");
    long px = f32(x, "x");
    long pw = f32(weight, "weight");
    long pr = f32(rstd, "rstd");
    long pdx = f32(dx, "dx");
    OpArguments.rmsNormBackward(dOut, x, weight, rstd, dx, dWeight);
    int h = (int) weight.size();
    int rows = x.shape().rows();
    if (rows == 0) {
      return;
    }
    kernels.launch("rmsnorm_backward_f32", stream, rows, g, px, pw, pr, pdx, h);
    if (dWeight != null) {
      kernels.launch(
          "rmsnorm_dweight_f32",
          stream,
          Kernels.blocksFor(h),
          g,
          px,
          pr,
          f32(dWeight, "dWeight"),
          rows,
          h);
    }
  }

  @Override
  public void rope(
      Tensor x, int batch, int heads, Tensor cos, Tensor sin, int position, boolean inverse) {
    enter("rope");
    CudaTensor tx = activation(x, "x");
    long px = tx.pointer();
    long pc = f32(cos, "cos");
    long ps = f32(sin, "sin");
    OpArguments.rope(this, x, batch, heads, cos, sin, position);
    int width = cols(x);
    int d = width / heads;
    int half = d / 2;
    int rows = x.shape().rows();
    int n = rows / batch;
    long pairs = (long) rows * heads * half;
    kernels.launch(
        tx.dtype() == DType.BF16 ? "rope_bf16" : "rope_f32",
        stream,
        Kernels.blocksFor(pairs),
        px,
        pc,
        ps,
        (long) rows,
        n,
        heads,
        half,
        position,
        inverse ? -1f : 1f);
  }

  @Override
  public void attention(
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      int batch,
      int heads,
      int kvHeads,
      int position,
      int kvLength,
      int window) {
    enter("attention");
    OpArguments.attention(this, q, k, v, out, lse, batch, heads, kvHeads, position, kvLength);
    CudaTensor tq = activation(q, "q");
    CudaTensor to = activation(out, "out");
    sameDType(tq, activation(k, "k"), activation(v, "v"), to);
    DType act = tq.dtype();
    long pq = tq.pointer();
    long pk = cuda(k, "k").pointer();
    long pv = cuda(v, "v").pointer();
    long po = to.pointer();
    long pl = ptrOrNull(lse, "lse");
    int d = cols(q) / heads;
    int n = q.shape().rows() / batch;
    int capacity = k.shape().rows() / batch;
    if (n == 0
        || flash.forward(
            q, k, v, out, lse, batch, n, capacity, heads, kvHeads, d, position, kvLength, window)) {
      return;
    }
    int group = heads / kvHeads;
    int bh = batch * heads;
    long qh = scratch(4L * bh * n * d);
    long kh = scratch(4L * bh * kvLength * d);
    long vh = scratch(4L * bh * kvLength * d);
    long scores = scratch(4L * bh * n * kvLength);
    long oh = scratch(4L * bh * n * d);
    try {
      splitHeads(act, pq, qh, batch, n, n, heads, 1, d);
      splitHeads(act, pk, kh, batch, capacity, kvLength, kvHeads, group, d);
      splitHeads(act, pv, vh, batch, capacity, kvLength, kvHeads, group, d);
      batchedGemm(
          qh, false, kh, true, scores, bh, n, kvLength, d, (float) (1.0 / Math.sqrt(d)), 0f);
      kernels.launch(
          "attn_softmax", stream, (long) bh * n, scores, pl, n, kvLength, position, window);
      batchedGemm(scores, false, vh, false, oh, bh, n, d, kvLength, 1f, 0f);
      kernels.launch(
          typed("attn_merge_heads", act),
          stream,
          Kernels.blocksFor((long) bh * n * d),
          oh,
          po,
          batch,
          n,
          heads,
          d,
          0);
    } finally {
      for (long p : new long[] {qh, kh, vh, scores, oh}) {
        allocator.release(p);
      }
    }
  }

  /** {@code src} rows of {@code dtype} into F32 per-head blocks. */
  private void splitHeads(
      DType dtype,
      long src,
      long dst,
      int batch,
      int rowsPerBatch,
      int usedRows,
      int srcHeads,
      int group,
      int d) {
    kernels.launch(
        typed("attn_split_heads", dtype),
        stream,
        Kernels.blocksFor((long) batch * srcHeads * group * usedRows * d),
        src,
        dst,
        batch,
        rowsPerBatch,
        usedRows,
        srcHeads,
        group,
        d);
  }

  @Override
  public void attentionBackward(
      Tensor dOut,
      Tensor q,
      Tensor k,
      Tensor v,
      Tensor out,
      Tensor lse,
      Tensor dq,
      Tensor dk,
      Tensor dv,
      int batch,
      int heads,
      int kvHeads,
      int window) {
    enter("attentionBackward");
    OpArguments.attentionBackward(this, dOut, q, k, v, out, lse, dq, dk, dv, batch, heads, kvHeads);
    long pg = f32(dOut, "dOut");
    CudaTensor tq = activation(q, "q");
    sameDType(tq, activation(k, "k"), activation(v, "v"), activation(out, "out"));
    DType act = tq.dtype();
    long pq = tq.pointer();
    long pk = cuda(k, "k").pointer();
    long pv = cuda(v, "v").pointer();
    long po = cuda(out, "out").pointer();
    long pl = f32(lse, "lse");
    long pdq = f32(dq, "dq");
    long pdk = f32(dk, "dk");
    long pdv = f32(dv, "dv");
    int d = cols(q) / heads;
    int n = q.shape().rows() / batch;
    if (n == 0
        || flash.backward(
            dOut, q, k, v, out, lse, dq, dk, dv, batch, n, heads, kvHeads, d, window)) {
      return;
    }
    int group = heads / kvHeads;
    int bh = batch * heads;
    long headBytes = 4L * bh * n * d;
    long scoreBytes = 4L * bh * n * n;
    long qh = scratch(headBytes);
    long kh = scratch(headBytes);
    long vh = scratch(headBytes);
    long gh = scratch(headBytes);
    long probs = scratch(scoreBytes);
    long dScores = scratch(scoreBytes);
    long rowDot = scratch(4L * bh * n);
    long grad = scratch(headBytes);
    try {
      splitHeads(act, pq, qh, batch, n, n, heads, 1, d);
      splitHeads(act, pk, kh, batch, n, n, kvHeads, group, d);
      splitHeads(act, pv, vh, batch, n, n, kvHeads, group, d);
      splitHeads(DType.F32, pg, gh, batch, n, n, heads, 1, d);
      float scale = (float) (1.0 / Math.sqrt(d));
      // P from the saved log-sum-exps.
      batchedGemm(qh, false, kh, true, probs, bh, n, n, d, scale, 0f);
      kernels.launch(
          "attn_probs_from_lse",
          stream,
          Kernels.blocksFor((long) bh * n * n),
          probs,
          pl,
          (long) bh * n,
          n,
          n,
          0,
          window);
      // dV = P^T dO (per query head, then summed over each kv head's group).
      batchedGemm(probs, true, gh, false, grad, bh, n, d, n, 1f, 0f);
      kernels.launch(
          "attn_group_sum_add",
          stream,
          Kernels.blocksFor((long) batch * n * kvHeads * d),
          grad,
          pdv,
          batch,
          n,
          kvHeads,
          group,
          d);
      // dS = P * (dO V^T - rowDot) * scale.
      batchedGemm(gh, false, vh, true, dScores, bh, n, n, d, 1f, 0f);
      kernels.launch(
          typed("attn_row_dot", act),
          stream,
          Kernels.blocksFor((long) bh * n),
          pg,
          po,
          rowDot,
          batch,
          n,
          heads,
          d);
      kernels.launch(
          "attn_dscores",
          stream,
          Kernels.blocksFor((long) bh * n * n),
          probs,
          dScores,
          rowDot,
          (long) bh * n,
          n,
          scale);
      // dQ = dS K, dK = dS^T Q.
      batchedGemm(dScores, false, kh, false, grad, bh, n, d, n, 1f, 0f);
      kernels.launch(
          "attn_merge_heads",
          stream,
          Kernels.blocksFor((long) bh * n * d),
          grad,
          pdq,
          batch,
          n,
          heads,
          d,
          1);
      batchedGemm(dScores, true, qh, false, grad, bh, n, d, n, 1f, 0f);
      kernels.launch(
          "attn_group_sum_add",
          stream,
          Kernels.blocksFor((long) batch * n * kvHeads * d),
          grad,
          pdk,
          batch,
          n,
          kvHeads,
          group,
          d);
    } finally {
      for (long p : new long[] {qh, kh, vh, gh, probs, dScores, rowDot, grad}) {
        allocator.release(p);
      }
    }
  }

  @Override
  public void swiglu(Tensor gate, Tensor up, Tensor out) {
    enter("swiglu");
    CudaTensor g = cuda(gate, "gate");
    CudaTensor u = cuda(up, "up");
    CudaTensor o = cuda(out, "out");
    OpArguments.swiglu(this, gate, up, out);
    kernels.launch(
        g.dtype() == DType.BF16 ? "swiglu_bf16" : "swiglu_f32",
        stream,
        Kernels.blocksFor(gate.size()),
        g.pointer(),
        u.pointer(),
        o.pointer(),
        gate.size());
  }

  @Override
  public void swigluBackward(Tensor dOut, Tensor gate, Tensor up, Tensor dGate, Tensor dUp) {
    enter("swigluBackward");
    OpArguments.swigluBackward(this, dOut, gate, up, dGate, dUp);
    CudaTensor g = activation(gate, "gate");
    CudaTensor u = activation(up, "up");
    sameDType(g, u);
    kernels.launch(
        g.dtype() == DType.BF16 ? "swiglu_backward_bf16" : "swiglu_backward_f32",
        stream,
        Kernels.blocksFor(gate.size()),
        f32(dOut, "dOut"),
        g.pointer(),
        u.pointer(),
        f32(dGate, "dGate"),
        f32(dUp, "dUp"),
        gate.size());
  }

  @Override
  public double crossEntropy(Tensor logits, int[] targets, Tensor dLogits, float gradScale) {
    enter("crossEntropy");
    OpArguments.crossEntropy(logits, targets, dLogits);
    long pz = f32(logits, "logits");
    long pdz = ptrOrNull(dLogits, "dLogits");
    int vocab = cols(logits);
    int rows = logits.shape().rows();
    if (rows == 0) {
      return 0;
    }
    long dTargets = uploadInts(targets);
    long losses = scratch(8L * rows);
    try {
      kernels.launch(
          "cross_entropy_f32",
          stream,
          rows,
          pz,
          dTargets,
          pdz,
          losses,
          vocab,
          gradScale,
          IGNORE_INDEX);
      try (Arena a = Arena.ofConfined()) {
        MemorySegment host = a.allocate(JAVA_DOUBLE, rows);
        readBack(host, losses, 8L * rows);
        double total = 0;
        for (int i = 0; i < rows; i++) {
          total += host.getAtIndex(JAVA_DOUBLE, i);
        }
        return total;
      }
    } finally {
      allocator.release(dTargets);
      allocator.release(losses);
    }
  }

  @Override
  public void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      int step) {
    enter("adamW");
    OpArguments.adamW(param, grad, m, v, step);
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    kernels.launch(
        "adamw_f32",
        stream,
        Kernels.blocksFor(param.size()),
        f32(param, "param"),
        f32(grad, "grad"),
        f32(m, "m"),
        f32(v, "v"),
        param.size(),
        beta1,
        beta2,
        eps,
        1 - lr * weightDecay,
        lr / bc1,
        bc2Sqrt);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    op.set("close");
    // Every step runs even when one fails; the first failure (typically the kernel error the
    // synchronisation
    // reports) is the one thrown.
    Cleanup cleanup = new Cleanup();
    cleanup.run(
        () -> {
          if (boundThread != Thread.currentThread()) {
            driver.setCurrent(context);
            boundThread = Thread.currentThread();
          }
        });
    cleanup.run(() -> driver.streamSynchronize(stream));
    closed = true;
    release(cleanup, kernels, blas, allocator, stream);
    cleanup.finish();
  }
}
