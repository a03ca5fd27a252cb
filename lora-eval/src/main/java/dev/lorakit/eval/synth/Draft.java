package dev.lorakit.eval.synth;

import java.util.List;

/**
 * One drawn patient before label noise: the diagnostic text, the code, the plan the site's rules
 * give, and the other plans a clinician might plausibly have chosen for this patient (label noise
 * picks one).
 */
record Draft(String diagnosis, String icd10, Plan plan, List<Plan> alternatives) {

  Draft {
    alternatives = alternatives.stream().filter(p -> !p.regimen().equals(plan.regimen())).toList();
    if (alternatives.isEmpty()) throw new IllegalStateException("no alternative plan for " + icd10);
  }
}
