#!/usr/bin/env bash
# Every GPU check of the project in one command, for a machine with an NVIDIA GPU and no Java: run it from the
# project root after ../shared/device/pack.sh has made .gpu-bundle/ (see docs/GPU.md).
#
#   OUT=/some/folder bash scripts/gpu-checks.sh [PATH/TO/peft_baseline.py]
#
# In order: CudaSmoke (lorakit-devtools; device, versions, every kernel compiled, op parity with the CPU, one GEMM timing); the JUnit
# GPU tests (package dev.lorakit.cuda, and dev.lorakit.cli.GpuCliTest: verify-reference on cuda, the training curve
# against the CPU); nccl-world-1 (training through real NCCL at world size 1 gives the adapter of the run without
# NCCL); lorakit verify-reference --device cuda in fp32 and bf16 on every reference folder; CudaBench
# (bf16 GEMMs against torch.matmul, memory-bound kernels against the copy bandwidth); the 1B correctness check
# against transformers + PEFT (scripts/correctness-1b.sh); the 7B training rows, PEFT then lorakit on the same card
# (scripts/bench-7b.sh). The whole run keeps to BUDGET seconds (default 540, so it fits a ten-minute call): each
# step gets at most its own limit and what is left of the budget, and a step that no longer fits is recorded as
# SKIPPED rather than started.
#
# $OUT receives seven files: summary.txt (one verdict a step), checks.log (smoke, JUnit, verify-reference),
# bench.txt (CudaBench), correctness.txt, train.md (the side-by-side table), train.jsonl (its BENCH lines) and
# train.log. Exit status 0 when every step that ran passed and none was skipped.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bundle=.gpu-bundle
[[ -f $bundle/run.sh ]] || { echo "gpu-checks: no $bundle/run.sh; make the bundle first with ../shared/device/pack.sh" >&2; exit 2; }
out=${OUT:-$root/out/gpu-checks}
mkdir -p "$out"
# JUnit XML reports go beside, not into $OUT: only a few files come back from the GPU machine.
junit=${TMPDIR:-/tmp}/lorakit-junit
summary=$out/summary.txt
: >"$summary"
failed=0
start=$(date +%s)

budget=${BUDGET:-540}
peft=${1:-}
if [[ -z $peft ]]; then
  for c in shared/device/peft_baseline.py ../shared/device/peft_baseline.py "$bundle/peft_baseline.py"; do
    [[ -f $c ]] && { peft=$c; break; }
  done
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# step NAME LOGFILE LIMIT_SECONDS COMMAND...: runs the command within its limit and what is left of the budget, logs
# it, records the verdict; a step with under 20 s of budget left is skipped.
step() {
  local name=$1 log=$2 limit=$3; shift 3
  local t0=$(date +%s)
  local left=$(( budget - (t0 - start) ))
  if (( left < 20 )); then
    printf '%-58s %-28s %4ds  %s\n' "$name" "SKIPPED (budget spent)" 0 "$log" | tee -a "$summary"
    failed=$((failed + 1))
    return
  fi
  (( limit > left )) && limit=$left
  echo "== $name" | tee -a "$out/$log"
  timeout --kill-after=10 "$limit" "$@" >>"$out/$log" 2>&1
  local rc=$?
  local verdict=PASS
  if [[ $rc -ne 0 ]]; then verdict="FAIL (exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${limit}s"))"; failed=$((failed + 1)); fi
  printf '%-58s %-28s %4ds  %s\n' "$name" "$verdict" $(( $(date +%s) - t0 )) "$log" | tee -a "$summary"
}

{
  echo "lorakit GPU checks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), budget ${budget}s"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
} | tee -a "$summary"

step "CudaSmoke" checks.log 90 bash $bundle/run.sh main dev.lorakit.cuda.CudaSmoke
OUT=$junit/cuda step "JUnit: package dev.lorakit.cuda" checks.log 150 \
  bash $bundle/run.sh test --select-package dev.lorakit.cuda --fail-if-no-tests
OUT=$junit/cli JAVA_TOOL_OPTIONS="-Dlorakit.project.root=$root" step "JUnit: dev.lorakit.cli.GpuCliTest" checks.log 120 \
  bash $bundle/run.sh test --select-class dev.lorakit.cli.GpuCliTest --fail-if-no-tests
OUT=$junit/nccl JAVA_TOOL_OPTIONS="-Dlorakit.project.root=$root" step "nccl-world-1: one GPU through NCCL = no NCCL" \
  checks.log 60 bash $bundle/run.sh test \
  --select-method dev.lorakit.cli.MultiGpuTrainTest#worldSizeOneThroughNcclIsTheRunWithoutIt --fail-if-no-tests

# Every reference folder: the testkit's (stored once for every module), then the shared fixtures the bundle carries
# (by name).
declare -A seen
for parent in lorakit-testkit/src/main/resources/dev/lorakit/testkit/hf $bundle/shared/fixtures/hf; do
  for dir in "$parent"/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    [[ -f $dir/reference.safetensors && -z ${seen[$name]:-} ]] || continue
    seen[$name]=1
    for precision in fp32 bf16; do
      step "verify-reference $name --device cuda --precision $precision" checks.log 60 \
        bash $bundle/run.sh main dev.lorakit.cli.Main verify-reference "$dir" --device cuda --precision $precision
    done
  done
done

step "CudaBench (GEMM vs torch, memory-bound vs copy)" bench.txt 120 bash $bundle/run.sh main dev.lorakit.cuda.CudaBench
OUT=$scratch/correctness step "correctness at 1B (bf16 and fp32 vs transformers + PEFT)" correctness.txt 150 \
  bash scripts/correctness-1b.sh
[[ -f $scratch/correctness/correctness-summary.txt ]] && cat "$scratch/correctness/correctness-summary.txt" >>"$out/correctness.txt"
if [[ -n $peft && -f $peft ]]; then
  OUT=$scratch/train SMOKE=0 CORRECTNESS=0 STEPS=${STEPS:-4} WARMUP=${WARMUP:-2} \
    step "7B training rows, PEFT then lorakit (bench-7b.sh)" train.log 330 bash scripts/bench-7b.sh "$peft"
  [[ -f $scratch/train/bench-7b.log ]] && cat "$scratch/train/bench-7b.log" >>"$out/train.log"
  [[ -f $scratch/train/bench-7b.jsonl ]] && cp "$scratch/train/bench-7b.jsonl" "$out/train.jsonl"
  [[ -f $scratch/train/bench-7b.md ]] && cp "$scratch/train/bench-7b.md" "$out/train.md"
else
  echo "7B training rows: peft_baseline.py not found (pass its path as the first argument)" | tee -a "$summary"
  failed=$((failed + 1))
fi

echo "total $(( $(date +%s) - start ))s; $failed step(s) failed or skipped" | tee -a "$summary"
[[ $failed -eq 0 ]]
