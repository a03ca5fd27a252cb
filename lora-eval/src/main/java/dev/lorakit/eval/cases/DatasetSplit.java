package dev.lorakit.eval.cases;

import dev.lorakit.core.LorakitInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A dataset cut into training, validation and test cases, every case in exactly one part.
 *
 * @param train the training cases
 * @param validation the validation cases
 * @param test the held-out test cases
 */
public record DatasetSplit(List<Case> train, List<Case> validation, List<Case> test) {

  public DatasetSplit {
    train = List.copyOf(train);
    validation = List.copyOf(validation);
    test = List.copyOf(test);
  }

  /**
   * Splits {@code cases} at random, stratified by modality: within each modality the cases are
   * shuffled and cut in the given fractions, so each part keeps the dataset's modality mix up to
   * rounding (each modality's count in a part is within one of its exact share). The result depends
   * only on the set of cases (by id), the fractions and the seed, not on the order of {@code
   * cases}.
   *
   * @throws LorakitInputException if two cases share an id, or a case has no modality to stratify
   *     by
   */
  public static DatasetSplit stratifiedByModality(
      List<Case> cases, SplitFractions fractions, long seed) {
    Set<String> ids = new HashSet<>();
    for (Case c : cases) {
      if (!ids.add(c.id()))
        throw new LorakitInputException("cannot split: id '" + c.id() + "' occurs twice.");
      if (!c.has(Task.MODALITY)) {
        throw new LorakitInputException(
            "cannot split by modality: case '" + c.id() + "' has none.");
      }
    }
    Map<Modality, List<Case>> byModality = new EnumMap<>(Modality.class);
    for (Case c : cases) byModality.computeIfAbsent(c.modality(), m -> new ArrayList<>()).add(c);

    Random random = new Random(seed);
    List<Case> train = new ArrayList<>(), validation = new ArrayList<>(), test = new ArrayList<>();
    for (List<Case> group : byModality.values()) {
      // Sort first so the shuffle, and thus the split, does not depend on the input order.
      group.sort(Comparator.comparing(Case::id));
      Collections.shuffle(group, random);
      int[] counts = shares(group.size(), fractions);
      train.addAll(group.subList(0, counts[0]));
      validation.addAll(group.subList(counts[0], counts[0] + counts[1]));
      test.addAll(group.subList(counts[0] + counts[1], group.size()));
    }
    // Interleave the modalities so a reader going through a part in order sees the mix throughout.
    Collections.shuffle(train, random);
    Collections.shuffle(validation, random);
    Collections.shuffle(test, random);
    return new DatasetSplit(train, validation, test);
  }

  /**
   * {@code n} cut by the largest-remainder method: each part gets the floor of its exact share, and
   * the cases left over go to the parts with the largest remainders (ties: train, then validation,
   * then test).
   */
  static int[] shares(int n, SplitFractions f) {
    double[] exact = {n * f.train(), n * f.validation(), n * f.test()};
    int[] counts = new int[3];
    int given = 0;
    for (int i = 0; i < 3; i++) {
      counts[i] = (int) Math.floor(exact[i] + 1e-9);
      given += counts[i];
    }
    for (int i = 0; given > n; i = (i + 1) % 3) { // only when rounding slop pushed a floor over
      if (counts[i] > 0) {
        counts[i]--;
        given--;
      }
    }
    for (int left = n - given; left > 0; left--) {
      int best = -1;
      for (int i = 0; i < 3; i++) {
        if (exact[i] - counts[i] > 1e-9
            && (best < 0 || exact[i] - counts[i] > exact[best] - counts[best] + 1e-12)) {
          best = i;
        }
      }
      if (best < 0) best = 0;
      counts[best]++;
    }
    return counts;
  }
}
