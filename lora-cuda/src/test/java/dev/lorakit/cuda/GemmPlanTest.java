package dev.lorakit.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.core.backend.OpArguments;
import dev.lorakit.core.tensor.Shape;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row-major to column-major mapping, checked without a GPU: the plan's parameters are fed to a
 * plain Java model of cublasGemmStridedBatchedEx's column-major semantics and the result compared
 * with row-major math.
 */
class GemmPlanTest {

  /**
   * cuBLAS semantics: C[i + j*ldc] = alpha * sum_l opA(i,l) opB(l,j) + beta * C, column-major, per
   * batch item.
   */
  static void cublasModel(
      GemmPlan p, float[] first, float[] second, float[] c, float alpha, float beta) {
    for (int item = 0; item < p.batch(); item++) {
      long fo = item * p.strideFirst();
      long so = item * p.strideSecond();
      long co = item * p.strideC();
      for (int i = 0; i < p.m(); i++) {
        for (int j = 0; j < p.n(); j++) {
          double acc = 0;
          for (int l = 0; l < p.k(); l++) {
            float x =
                p.transFirst()
                    ? first[(int) (fo + l + (long) i * p.ldFirst())]
                    : first[(int) (fo + i + (long) l * p.ldFirst())];
            float y =
                p.transSecond()
                    ? second[(int) (so + j + (long) l * p.ldSecond())]
                    : second[(int) (so + l + (long) j * p.ldSecond())];
            acc += (double) x * y;
          }
          int at = (int) (co + i + (long) j * p.ldc());
          c[at] = (float) (alpha * acc + (beta == 0 ? 0 : beta * c[at]));
        }
      }
    }
  }

  static float[] rand(Random r, long n) {
    float[] a = new float[(int) n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (int batch : new int[] {1, 3}) {
          for (int shared : new int[] {0, 1, 2}) {
            b.add(Arguments.of(ta, tb, batch, shared));
          }
        }
      }
    }
    return b.build();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theColumnMajorCallComputesTheRowMajorProduct(boolean ta, boolean tb, int batch, int shared) {
    Random r = new Random(31L * batch + (ta ? 7 : 0) + (tb ? 13 : 0) + shared);
    int m = 5;
    int n = 7;
    int k = 3;
    // shared == 1: a is one matrix for every batch item; shared == 2: b is.
    int[] aDims = ta ? new int[] {k, m} : new int[] {m, k};
    int[] bDims = tb ? new int[] {n, k} : new int[] {k, n};
    Shape as = batch > 1 && shared != 1 ? Shape.of(batch, aDims[0], aDims[1]) : Shape.of(aDims);
    Shape bs = batch > 1 && shared != 2 ? Shape.of(batch, bDims[0], bDims[1]) : Shape.of(bDims);
    Shape cs = batch > 1 ? Shape.of(batch, m, n) : Shape.of(m, n);
    float[] a = rand(r, as.size());
    float[] bv = rand(r, bs.size());
    float[] c = rand(r, cs.size());
    float[] expected = c.clone();
    for (int item = 0; item < batch; item++) {
      int ao = as.rank() == 3 ? item * m * k : 0;
      int bo = bs.rank() == 3 ? item * k * n : 0;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double acc = 0;
          for (int l = 0; l < k; l++) {
            float x = ta ? a[ao + l * m + i] : a[ao + i * k + l];
            float y = tb ? bv[bo + j * k + l] : bv[bo + l * n + j];
            acc += (double) x * y;
          }
          int at = item * m * n + i * n + j;
          expected[at] = (float) (0.5 * acc + 2 * expected[at]);
        }
      }
    }
    GemmPlan plan = GemmPlan.of(OpArguments.matmul(as, ta, bs, tb, cs), ta, tb);
    assertEquals(batch, plan.batch());
    cublasModel(plan, bv, a, c, 0.5f, 2f);
    for (int i = 0; i < c.length; i++) {
      assertEquals(expected[i], c[i], 1e-5, "element " + i);
    }
  }
}
