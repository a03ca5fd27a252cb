package dev.lorakit.eval.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lorakit.eval.cases.Modality;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModalityParserTest {

  static final Map<Modality, List<String>> SAYINGS =
      Map.of(
          Modality.PHOTON,
              List.of(
                  "photon",
                  "photons",
                  "IMRT",
                  "VMAT",
                  "3D-CRT",
                  "3DCRT",
                  "SBRT",
                  "SABR",
                  "SRS",
                  "x-ray",
                  "X-rays",
                  "xray",
                  "stereotactic radiosurgery",
                  "stereotactic body radiotherapy",
                  "Gamma Knife",
                  "CyberKnife",
                  "tomotherapy",
                  "external beam",
                  "EBRT",
                  "linac",
                  "intensity-modulated radiotherapy",
                  "volumetric modulated arc therapy",
                  "kilovoltage",
                  "orthovoltage"),
          Modality.PROTON,
              List.of(
                  "proton",
                  "protons",
                  "proton beam",
                  "proton-beam",
                  "PBS",
                  "pencil beam scanning",
                  "IMPT",
                  "intensity-modulated proton therapy",
                  "70 Gy(RBE)"),
          Modality.ELECTRON,
              List.of(
                  "electron",
                  "electrons",
                  "electron beam",
                  "TSEBT",
                  "total skin electron",
                  "6 MeV electrons"),
          Modality.BRACHYTHERAPY,
              List.of(
                  "brachytherapy",
                  "brachy",
                  "HDR",
                  "LDR",
                  "seed implant",
                  "seeds",
                  "plaque",
                  "I-125",
                  "iodine-125",
                  "Ru-106",
                  "interstitial",
                  "intracavitary",
                  "surface mould"));

  static final List<String> FRAMES =
      List.of(
          "%s",
          "%s.",
          "The modality is %s.",
          "Answer: %s",
          "Treat with %s therapy.",
          "Recommended: %s, 50 Gy in 25 fractions.",
          "I would recommend %s.\nThis is because the tumour is deep.",
          "**%s**",
          "(%s)",
          "- %s",
          "Modality: %s\n",
          "%s radiotherapy to the target",
          "Best option -> %s!");

  /** Seeded random phrasings: a frame, a synonym, a change of case. */
  static Stream<Arguments> phrasings() {
    Random r = new Random(42);
    List<Modality> modalities = List.of(Modality.values());
    return Stream.generate(
            () -> {
              Modality m = modalities.get(r.nextInt(modalities.size()));
              List<String> words = SAYINGS.get(m);
              String word = words.get(r.nextInt(words.size()));
              word =
                  switch (r.nextInt(3)) {
                    case 0 -> word.toLowerCase(Locale.ROOT);
                    case 1 -> word.toUpperCase(Locale.ROOT);
                    default -> word;
                  };
              return Arguments.of(String.format(FRAMES.get(r.nextInt(FRAMES.size())), word), m);
            })
        .limit(300);
  }

  @ParameterizedTest
  @MethodSource("phrasings")
  void findsTheModalityInManyPhrasings(String answer, Modality expected) {
    assertEquals(Optional.of(expected), ModalityParser.parse(answer), answer);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "Pelvic radiotherapy 45 Gy in 25 fractions with cisplatin (EBRT), then HDR brachytherapy 28 Gy in 4.|PHOTON",
        "IMRT 46 Gy then an HDR boost of 15 Gy|PHOTON",
        "Not protons but photons.|PHOTON",
        "Without brachytherapy; proton therapy instead.|PROTON",
        "Proton therapy rather than IMRT|PROTON",
        "Photons rather than protons|PHOTON",
        "No need for a proton plan, use VMAT|PHOTON",
        "Electron beam to the chest wall, with photons to the supraclavicular fossa.|ELECTRON",
        "Low-dose-rate iodine-125 seed brachytherapy, 145 Gy.|BRACHYTHERAPY",
        "Ruthenium-106 plaque brachytherapy, 85 Gy to the apex.|BRACHYTHERAPY",
        "Pencil-beam scanning proton therapy 74 Gy(RBE) in 37 fractions.|PROTON",
        "The answer is: brachytherapy|BRACHYTHERAPY",
        "PHOTON|PHOTON"
      })
  void firstMentionThatIsNotNegatedWins(String answer, Modality expected) {
    assertEquals(Optional.of(expected), ModalityParser.parse(answer), answer);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "I am not sure.",
        "Radiotherapy 40 Gy in 15 fractions.",
        "gamma rays",
        "photonic crystal",
        "protonation",
        "electronic health record",
        "hydrogen",
        "no protons",
        "Chemotherapy alone."
      })
  void noModalityGivesEmpty(String answer) {
    assertEquals(Optional.empty(), ModalityParser.parse(answer), answer);
  }
}
