#!/usr/bin/env bash
# LoRA training of 7B shapes on one GPU: the Hugging Face transformers + PEFT baseline and lorakit, in the same
# run, on the same card, then a side-by-side table in $OUT/bench-7b.md. Run on the GPU machine from the project
# root, after ../shared/device/pack.sh has made .gpu-bundle/ (a JDK-free bundle of the build):
#
#   bash scripts/bench-7b.sh [PATH/TO/peft_baseline.py]
#
# Without the argument the baseline script is looked for in shared/device/, ../shared/device/ and .gpu-bundle/.
# Steps: (1) every CUDA op against the CPU backend (CudaSmoke; the fused attention kernels included; SMOKE=0 skips it),
# (2) lorakit's loss and LoRA gradients against transformers + PEFT on a random 1B model (scripts/correctness-1b.sh;
# CORRECTNESS=0 skips it), (3) for each table row the PEFT baseline then lorakit-dev bench-train, (4) the table. Each row
# prints one BENCH {json} line per implementation; the raw lines go to $OUT/bench-7b.jsonl, the logs to
# $OUT/bench-7b.log. ROWS (';'-separated "MODEL TARGETS BATCH SEQ [ckpt]") replaces the five default rows; STEPS (8)
# and WARMUP (3) set lorakit's timed and warm-up steps (PEFT's script times 8 after 3).
set -uo pipefail
out=${OUT:-.gpu-bundle/out}
mkdir -p "$out"
bundle=.gpu-bundle
[[ -f $bundle/run.sh ]] || { echo "bench-7b.sh: no $bundle/run.sh here; run ../shared/device/pack.sh first" >&2; exit 2; }
peft=${1:-}
if [[ -z $peft ]]; then
  for c in shared/device/peft_baseline.py ../shared/device/peft_baseline.py "$bundle/peft_baseline.py"; do
    [[ -f $c ]] && { peft=$c; break; }
  done
fi
[[ -n $peft && -f $peft ]] || echo "bench-7b.sh: peft_baseline.py not found; only lorakit rows will be measured" >&2
steps=${STEPS:-8}
warmup=${WARMUP:-3}
jsonl=$out/bench-7b.jsonl
: >"$jsonl"

log=$out/bench-7b.log
: >"$log"
if [[ ${SMOKE:-1} != 0 ]]; then
  echo "== op parity (CUDA vs CPU)"
  bash "$bundle/run.sh" main dev.lorakit.cuda.CudaSmoke 2>&1 | tee "$out/cuda-smoke.txt"
fi

# Correctness at scale before speed: lorakit against transformers + PEFT on a random 1B model (CORRECTNESS=0 skips).
if [[ ${CORRECTNESS:-1} != 0 ]]; then
  echo "== correctness at 1B (lorakit vs transformers + PEFT, bf16 and fp32)"
  OUT=$out bash scripts/correctness-1b.sh 2>&1 | tee "$out/correctness-1b.log"
fi

IFS=';' read -r -a rows <<<"${ROWS:-llama2-7b all 4 512;llama2-7b qv 4 512;llama2-7b all 2 2048;mistral-7b all 4 512;llama2-7b all 8 1024 ckpt}"
for row in "${rows[@]}"; do
  read -r model targets bs seq ckpt <<<"$row"
  echo "== $row"
  if [[ -n $peft && -f $peft ]]; then
    PYTHONUNBUFFERED=1 python3 "$peft" $model $targets $bs $seq ${ckpt:-} 2>&1 | tee -a "$log" \
      | sed -n 's/^BENCH /{"impl":"peft",/p' | sed 's/^{"impl":"peft",{/{"impl":"peft",/' >>"$jsonl"
  fi
  flags=()
  [[ ${ckpt:-} == ckpt ]] && flags+=(--activation-checkpointing)
  bash "$bundle/run.sh" main dev.lorakit.cli.DevMain bench-train --shape "$model" --targets "$targets" --batch "$bs" \
    --seq "$seq" --steps "$steps" --warmup "$warmup" "${flags[@]}" 2>&1 | tee -a "$log" \
    | sed -n 's/^BENCH //p' >>"$jsonl"
done

python3 - "$jsonl" "$out/bench-7b.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
key = lambda r: (r["model"], r["targets"], r["bs"], r["seq"], bool(r["ckpt"]))
table = {}
for r in rows:
    table.setdefault(key(r), {})[r.get("impl", "peft")] = r
lines = ["| model | targets | batch x seq | ckpt | PEFT tokens/s | lorakit tokens/s | ratio | PEFT peak GiB | lorakit peak GiB (allocator / device) | lorakit MFU |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for k, v in table.items():
    p, l = v.get("peft", {}), v.get("lorakit", {})
    ratio = "%.2f" % (l["tokens_per_s"] / p["tokens_per_s"]) if p.get("tokens_per_s") and l.get("tokens_per_s") else "-"
    t = "qv" if k[1] == "q_proj,v_proj" else "all"
    lines.append("| %s | %s | %dx%d | %s | %s | %s | %s | %s | %s / %s | %s |" % (k[0], t, k[2], k[3], "yes" if k[4] else "no",
        p.get("tokens_per_s", "-"), l.get("tokens_per_s", "-"), ratio, p.get("peak_gib", "-"), l.get("peak_gib", "-"),
        l.get("device_used_gib", "-"), l.get("mfu", "-")))
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
