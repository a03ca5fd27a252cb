package dev.lorakit.cuda;

import java.util.Arrays;

/**
 * How a scatter-add {@code table[ids[t]] += src[t]} is split over the rows it writes, so that the
 * GPU runs every written row (and every column of it) in parallel while repeated ids still add up
 * in token order, without atomics: row {@code rows[g]} of the table receives the source rows {@code
 * sources[offsets[g] .. offsets[g + 1])}, in that order. Built on the host, where the ids are.
 *
 * @param rows the distinct ids, ascending
 * @param offsets {@code rows.length + 1} bounds into {@code sources}
 * @param sources the token indices grouped by id, each group in token order
 */
record RowScatter(int[] rows, int[] offsets, int[] sources) {

  static RowScatter of(int[] ids) {
    long[] keyed = new long[ids.length];
    for (int t = 0; t < ids.length; t++) {
      keyed[t] = ((long) ids[t] << 32) | t; // ids are non-negative (checked by the caller)
    }
    Arrays.sort(keyed);
    int[] sources = new int[ids.length];
    int[] rows = new int[ids.length];
    int[] offsets = new int[ids.length + 1];
    int distinct = 0;
    for (int i = 0; i < keyed.length; i++) {
      int id = (int) (keyed[i] >>> 32);
      sources[i] = (int) keyed[i];
      if (distinct == 0 || rows[distinct - 1] != id) {
        rows[distinct] = id;
        offsets[distinct++] = i;
      }
    }
    offsets[distinct] = ids.length;
    return new RowScatter(
        Arrays.copyOf(rows, distinct), Arrays.copyOf(offsets, distinct + 1), sources);
  }

  /**
   * {@code rows}, {@code offsets} and {@code sources} back to back: the one int array the kernel
   * reads.
   */
  int[] packed() {
    int[] all = new int[rows.length + offsets.length + sources.length];
    System.arraycopy(rows, 0, all, 0, rows.length);
    System.arraycopy(offsets, 0, all, rows.length, offsets.length);
    System.arraycopy(sources, 0, all, rows.length + offsets.length, sources.length);
    return all;
  }
}
