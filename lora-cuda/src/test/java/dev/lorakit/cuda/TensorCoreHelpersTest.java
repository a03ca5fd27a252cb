package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorakit.core.tensor.HalfPrecision;
import dev.lorakit.testkit.ParityChecks;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tensor-core helpers of {@code common.cuh} against the PTX ISA: which matrix element each
 * register of each lane holds (mma.m16n8k16's A, B and C/D fragments, ldmatrix's x4/x2 with and
 * without .trans), and the product itself against an fp32 reference. The tables below are the ISA's
 * formulas (groupID = lane / 4, threadID_in_group = lane % 4); the kernels only move registers, so
 * every layout fact is asserted here. Runs on the CUDA simulator and on a GPU of compute capability
 * 8.0 or later; skipped visibly without either.
 */
class TensorCoreHelpersTest {

  /** Each lane loads its registers from global memory, runs one helper, stores its registers. */
  private static final String PROBES =
      """
            extern "C" __global__ void mma_probe(const unsigned* a, const unsigned* b, const float* c, float* d,
                    int f16) {
                int lane = threadIdx.x;
                unsigned ar[4] = {a[lane * 4], a[lane * 4 + 1], a[lane * 4 + 2], a[lane * 4 + 3]};
                unsigned br[2] = {b[lane * 2], b[lane * 2 + 1]};
                float cr[4] = {c[lane * 4], c[lane * 4 + 1], c[lane * 4 + 2], c[lane * 4 + 3]};
                float dr[4];
                if (f16) {
                    lk_mma_f16_16816(dr, ar, br, cr);
                } else {
                    lk_mma_bf16_16816(dr, ar, br, cr);
                }
                for (int i = 0; i < 4; i++) {
                    d[lane * 4 + i] = dr[i];
                }
            }

            // Four 8x8 matrices of b16 in shared memory, element (j, r, c) = 64 j + 8 r + c; lane 8 j + r passes
            // row r of matrix j. out: per lane x4, x4.trans, x2, x2.trans (12 registers).
            extern "C" __global__ void ldmatrix_probe(unsigned* out) {
                __shared__ __align__(16) lk_half tile[256];
                int lane = threadIdx.x;
                for (int i = lane; i < 256; i += 32) {
                    tile[i] = (lk_half) i;
                }
                __syncwarp();
                unsigned r[4];
                const lk_half* row = tile + lane * 8;
                lk_ldmatrix_x4(r, row);
                for (int j = 0; j < 4; j++) out[lane * 12 + j] = r[j];
                lk_ldmatrix_x4_trans(r, row);
                for (int j = 0; j < 4; j++) out[lane * 12 + 4 + j] = r[j];
                lk_ldmatrix_x2(r, row);
                for (int j = 0; j < 2; j++) out[lane * 12 + 8 + j] = r[j];
                lk_ldmatrix_x2_trans(r, row);
                for (int j = 0; j < 2; j++) out[lane * 12 + 10 + j] = r[j];
            }
            """;

  // ---- the PTX ISA's tables (row, column) ----

  static int[] aElement(int lane, int i) {
    int g = lane >> 2;
    int t = lane & 3;
    return new int[] {g + (i < 2 || (i >= 4 && i < 6) ? 0 : 8), t * 2 + (i & 1) + (i >= 4 ? 8 : 0)};
  }

  static int[] bElement(int lane, int i) {
    return new int[] {(lane & 3) * 2 + (i & 1) + (i >= 2 ? 8 : 0), lane >> 2};
  }

  static int[] cElement(int lane, int i) {
    return new int[] {(lane >> 2) + (i >= 2 ? 8 : 0), (lane & 3) * 2 + (i & 1)};
  }

  /** ldmatrix: element (row, column) of matrix j that half e of register j of lane holds. */
  static int[] ldmatrixElement(int lane, int e, boolean trans) {
    return trans
        ? new int[] {(lane & 3) * 2 + e, lane >> 2}
        : new int[] {lane >> 2, (lane & 3) * 2 + e};
  }

  // ---- moving matrices in and out of fragments by those tables ----

  private static short half(float v, boolean f16) {
    return f16 ? HalfPrecision.floatToF16(v) : HalfPrecision.floatToBf16(v);
  }

  private static float unhalf(float v, boolean f16) {
    short h = half(v, f16);
    return f16 ? HalfPrecision.f16ToFloat(h) : HalfPrecision.bf16ToFloat(h);
  }

  /** Registers packed as floats with the same bits (the kernel reads them as unsigned). */
  private static float pack(short lo, short hi) {
    return Float.intBitsToFloat((lo & 0xffff) | (hi & 0xffff) << 16);
  }

  private static float[] aFragments(float[][] a, boolean f16) {
    float[] r = new float[32 * 4];
    for (int lane = 0; lane < 32; lane++) {
      for (int reg = 0; reg < 4; reg++) {
        int[] e0 = aElement(lane, 2 * reg);
        int[] e1 = aElement(lane, 2 * reg + 1);
        r[lane * 4 + reg] = pack(half(a[e0[0]][e0[1]], f16), half(a[e1[0]][e1[1]], f16));
      }
    }
    return r;
  }

  private static float[] bFragments(float[][] b, boolean f16) {
    float[] r = new float[32 * 2];
    for (int lane = 0; lane < 32; lane++) {
      for (int reg = 0; reg < 2; reg++) {
        int[] e0 = bElement(lane, 2 * reg);
        int[] e1 = bElement(lane, 2 * reg + 1);
        r[lane * 2 + reg] = pack(half(b[e0[0]][e0[1]], f16), half(b[e1[0]][e1[1]], f16));
      }
    }
    return r;
  }

  private static float[] cFragments(float[][] c) {
    float[] r = new float[32 * 4];
    for (int lane = 0; lane < 32; lane++) {
      for (int i = 0; i < 4; i++) {
        int[] e = cElement(lane, i);
        r[lane * 4 + i] = c[e[0]][e[1]];
      }
    }
    return r;
  }

  private static float[][] fromCFragments(float[] d) {
    float[][] m = new float[16][8];
    for (int lane = 0; lane < 32; lane++) {
      for (int i = 0; i < 4; i++) {
        int[] e = cElement(lane, i);
        m[e[0]][e[1]] = d[lane * 4 + i];
      }
    }
    return m;
  }

  /** D = A B + C through the helper, with every fragment built and read by the ISA's tables. */
  private static float[][] mma(
      CudaSimulatorTest.Device dev,
      MemorySegment fn,
      float[] aRegs,
      float[] bRegs,
      float[] cRegs,
      boolean f16) {
    long a = dev.upload(aRegs);
    long b = dev.upload(bRegs);
    long c = dev.upload(cRegs);
    long d = dev.upload(new float[32 * 4]);
    dev.launch(fn, "mma_probe", 1, 32, 0, a, b, c, d, f16 ? 1 : 0);
    return fromCFragments(dev.download(d, 32 * 4));
  }

  private static CudaSimulatorTest.Device device() {
    return new CudaSimulatorTest.Device();
  }

  private static MemorySegment probes(CudaSimulatorTest.Device dev, String name) {
    return dev.function(
        KernelSources.read(KernelSources.RESOURCE_FOLDER + KernelSources.COMMON) + PROBES, name);
  }

  /**
   * A's registers hold distinct ids (lane * 8 + i + 1, exact in bf16); B selects column k of A (two
   * products, k = n and k = n + 8), so D shows which register holds element (row, k), which must be
   * the ISA's.
   */
  @Test
  void mmaARegistersHoldTheIsaElements() {
    Gpu.assumeKernels("the mma A-fragment layout test");
    try (CudaSimulatorTest.Device dev = device()) {
      MemorySegment fn = probes(dev, "mma_probe");
      float[] aRegs = new float[32 * 4];
      for (int lane = 0; lane < 32; lane++) {
        for (int reg = 0; reg < 4; reg++) {
          aRegs[lane * 4 + reg] =
              pack(half(lane * 8 + 2 * reg + 1, false), half(lane * 8 + 2 * reg + 2, false));
        }
      }
      int checked = 0;
      for (int part = 0; part < 2; part++) {
        float[][] select = new float[16][8];
        for (int n = 0; n < 8; n++) {
          select[n + 8 * part][n] = 1;
        }
        float[][] d = mma(dev, fn, aRegs, bFragments(select, false), new float[32 * 4], false);
        for (int row = 0; row < 16; row++) {
          for (int n = 0; n < 8; n++) {
            int id = (int) d[row][n] - 1;
            int lane = id / 8;
            int i = id % 8;
            assertTrue(
                id >= 0 && id < 256, "no register holds A(" + row + ", " + (n + 8 * part) + ")");
            assertEquals(
                row + "," + (n + 8 * part),
                aElement(lane, i)[0] + "," + aElement(lane, i)[1],
                "A element held by lane " + lane + ", a" + i);
            checked++;
          }
        }
      }
      assertEquals(256, checked);
    }
  }

  /**
   * B's registers hold distinct ids; A is the identity, so D = B shows where each register's
   * element lies.
   */
  @Test
  void mmaBRegistersHoldTheIsaElements() {
    Gpu.assumeKernels("the mma B-fragment layout test");
    try (CudaSimulatorTest.Device dev = device()) {
      MemorySegment fn = probes(dev, "mma_probe");
      float[] bRegs = new float[32 * 2];
      for (int lane = 0; lane < 32; lane++) {
        for (int reg = 0; reg < 2; reg++) {
          bRegs[lane * 2 + reg] =
              pack(half(lane * 4 + 2 * reg + 1, false), half(lane * 4 + 2 * reg + 2, false));
        }
      }
      float[][] identity = new float[16][16];
      for (int i = 0; i < 16; i++) {
        identity[i][i] = 1;
      }
      float[][] d = mma(dev, fn, aFragments(identity, false), bRegs, new float[32 * 4], false);
      boolean[] seen = new boolean[128];
      for (int k = 0; k < 16; k++) {
        for (int n = 0; n < 8; n++) {
          int id = (int) d[k][n] - 1;
          assertTrue(
              id >= 0 && id < 128 && !seen[id],
              "B(" + k + ", " + n + ") came from no single register");
          seen[id] = true;
          assertEquals(
              k + "," + n,
              bElement(id / 4, id % 4)[0] + "," + bElement(id / 4, id % 4)[1],
              "B element held by lane " + id / 4 + ", b" + id % 4);
        }
      }
    }
  }

  /**
   * C's registers hold distinct ids and A is zero: D's register i of each lane must be C's register
   * i (C and D share a layout), and the C table places each id at a distinct element (checked
   * through the A and B tests).
   */
  @Test
  void mmaDRegistersAreTheCRegisters() {
    Gpu.assumeKernels("the mma C/D-fragment layout test");
    try (CudaSimulatorTest.Device dev = device()) {
      MemorySegment fn = probes(dev, "mma_probe");
      float[] cRegs = new float[32 * 4];
      for (int i = 0; i < cRegs.length; i++) {
        cRegs[i] = i + 0.5f;
      }
      long a = dev.upload(new float[32 * 4]);
      long b = dev.upload(new float[32 * 2]);
      long c = dev.upload(cRegs);
      long d = dev.upload(new float[32 * 4]);
      dev.launch(fn, "mma_probe", 1, 32, 0, a, b, c, d, 0);
      float[] got = dev.download(d, 32 * 4);
      for (int i = 0; i < cRegs.length; i++) {
        assertEquals(cRegs[i], got[i], "lane " + i / 4 + ", d" + i % 4);
      }
    }
  }

  /** Random A 16x16, B 16x8 (rounded to the input type), C 16x8 against an fp32 reference. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void mmaComputesTheProduct(boolean f16) {
    Gpu.assumeKernels("the mma product test");
    float[] ra = ParityChecks.randoms(31, 256, 1);
    float[] rb = ParityChecks.randoms(32, 128, 1);
    float[] rc = ParityChecks.randoms(33, 128, 4);
    float[][] a = new float[16][16];
    float[][] b = new float[16][8];
    float[][] c = new float[16][8];
    for (int i = 0; i < 16; i++) {
      for (int k = 0; k < 16; k++) {
        a[i][k] = ra[i * 16 + k];
      }
      for (int n = 0; n < 8; n++) {
        b[i][n] = rb[i * 8 + n];
        c[i][n] = rc[i * 8 + n];
      }
    }
    try (CudaSimulatorTest.Device dev = device()) {
      float[][] d =
          mma(
              dev,
              probes(dev, "mma_probe"),
              aFragments(a, f16),
              bFragments(b, f16),
              cFragments(c),
              f16);
      double worst = 0;
      for (int i = 0; i < 16; i++) {
        for (int n = 0; n < 8; n++) {
          double want = c[i][n];
          for (int k = 0; k < 16; k++) {
            want += (double) unhalf(a[i][k], f16) * unhalf(b[k][n], f16);
          }
          // the products are exact in fp32; what differs is the order and width of the sum
          assertEquals(want, d[i][n], 1e-5 * (1 + Math.abs(want)), "D(" + i + ", " + n + ")");
          worst = Math.max(worst, Math.abs(want - d[i][n]));
        }
      }
      System.out.printf(
          "mma %s: largest difference from the fp64 sum %.2e%n", f16 ? "f16" : "bf16", worst);
    }
  }

  /**
   * Every register half of every lane for ldmatrix x4, x4.trans, x2 and x2.trans holds the ISA's
   * element.
   */
  @Test
  void ldmatrixRegistersHoldTheIsaElements() {
    Gpu.assumeKernels("the ldmatrix layout test");
    try (CudaSimulatorTest.Device dev = device()) {
      MemorySegment fn = probes(dev, "ldmatrix_probe");
      long out = dev.upload(new float[32 * 12]);
      dev.launch(fn, "ldmatrix_probe", 1, 32, 0, out);
      float[] got = dev.download(out, 32 * 12);
      String[] names = {"x4", "x4.trans", "x2", "x2.trans"};
      int[] first = {0, 4, 8, 10};
      int[] count = {4, 4, 2, 2};
      for (int v = 0; v < 4; v++) {
        boolean trans = (v & 1) == 1;
        for (int lane = 0; lane < 32; lane++) {
          for (int j = 0; j < count[v]; j++) {
            int bits = Float.floatToRawIntBits(got[lane * 12 + first[v] + j]);
            for (int e = 0; e < 2; e++) {
              int[] rc = ldmatrixElement(lane, e, trans);
              int want = 64 * j + 8 * rc[0] + rc[1];
              assertEquals(
                  want,
                  bits >>> (16 * e) & 0xffff,
                  "ldmatrix " + names[v] + ", lane " + lane + ", register " + j + ", half " + e);
            }
          }
        }
      }
    }
  }
}
