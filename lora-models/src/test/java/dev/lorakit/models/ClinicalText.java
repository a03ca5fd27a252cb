package dev.lorakit.models;

import java.util.List;

/**
 * Radiation-oncology style text that stresses a tokenizer: doses, codes, units, accents, odd
 * whitespace.
 */
final class ClinicalText {

  private ClinicalText() {}

  static final List<String> SENTENCES =
      List.of(
          "Whole breast irradiation 40.05 Gy/15 fx to the left breast.",
          "SBRT 54 Gy/3 to a peripheral NSCLC lesion.",
          "Diagnosis: C50.911 malignant neoplasm of unspecified site of right female breast.",
          "Prostate IMRT 78 Gy in 39 fractions, PTV D95 ≥ 95%.",
          "Dose rate 2.5 µGy/h measured at 1 m.",
          "Patiënt received 60 Gy/30 fx with concurrent cisplatin 40 mg/m².",
          "Hypofractionated regimen: 42.5 Gy/16 fx (Whelan).",
          "Brachytherapy HDR 7 Gy × 3 to the vaginal cuff.",
          "ICD-10 C61, C34.11, C71.9, D05.10.",
          "Café-au-lait spots noted; no fièvre.",
          "Tumour bed boost 10 Gy/5 fx.",
          "  Two leading spaces and   three inner spaces.",
          "Tabs\tbetween\t\twords.",
          "Line one\nLine two\n\nand a blank line.",
          "Trailing spaces at the end   ",
          "\tA leading tab and a trailing newline\n",
          "V20 < 30%, mean lung dose ≤ 20 Gy.",
          "Dmax spinal cord 45 Gy; brainstem ≤ 54 Gy.",
          "Ki-67 25%, ER+/PR+/HER2−.",
          "Gleason 4+3=7, PSA 12.4 ng/mL, cT2b N0 M0.",
          "Naïve über façade coöperate résumé.",
          "Temperature 37.5 °C, SpO₂ 98 %.",
          "Stereotactic radiosurgery 20 Gy × 1 for a 1.2 cm metastasis.",
          "SBRT 50 Gy/5 fx to liver segment VIII.",
          "Palliative 8 Gy/1 fx to the T10 vertebra.",
          "30 Gy/10 fx whole brain; hippocampal avoidance.",
          "Follow-up at 3, 6 and 12 months (2024-03-15).",
          "Ñandú español àèìòù ÀÈÌÒÙ, Ærø Åsa.",
          "Greek α β γ δ and arrows → ← ↔.",
          "0.5 mm, 1.25 cm, 100 cGy, 2 Gy × 25 = 50 Gy.",
          "EQD2 (α/β = 3) ≈ 67.3 Gy; BED₁₀ = 72 Gy.",
          "C79.51 secondary malignant neoplasm of bone\r\nC77.3 axillary lymph nodes",
          "No\u00a0break\u00a0spaces and a thin\u2009space.",
          "Emoji 🙂 and CJK 放射線治療.",
          "1234567890 00012 3.14159",
          "   ",
          "x",
          "");
}
