#!/usr/bin/env bash
# Every GPU check of the project in one command, for a machine with an NVIDIA GPU and no Java: run it from the
# project root after ../shared/device/pack.sh has made .gpu-bundle/ (see docs/GPU.md).
#
#   bash scripts/gpu-checks.sh
#
# In order: CudaSmoke (device, versions, every kernel compiled, op parity with the CPU, one GEMM timing); the JUnit
# GPU tests (package dev.lorakit.cuda, and dev.lorakit.cli.GpuCliTest: verify-reference on cuda, the training curve
# against the CPU); lorakit verify-reference --device cuda in fp32 and bf16 on every reference folder; CudaBench
# (bf16 GEMMs against torch.matmul, memory-bound kernels against the copy bandwidth). Each step's output goes to
# $OUT (default out/gpu-checks) and a summary to $OUT/summary.txt; exit status 0 when every step passed.
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

# step NAME LOGFILE LIMIT_SECONDS COMMAND...: runs the command with a time limit, logs it, records the verdict.
step() {
  local name=$1 log=$2 limit=$3; shift 3
  local t0=$(date +%s)
  echo "== $name" | tee -a "$out/$log"
  timeout --kill-after=10 "$limit" "$@" >>"$out/$log" 2>&1
  local rc=$?
  local verdict=PASS
  if [[ $rc -ne 0 ]]; then verdict="FAIL (exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${limit}s"))"; failed=$((failed + 1)); fi
  printf '%-58s %-28s %4ds  %s\n' "$name" "$verdict" $(( $(date +%s) - t0 )) "$log" | tee -a "$summary"
}

{
  echo "lorakit GPU checks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
} | tee -a "$summary"

step "CudaSmoke" smoke.txt 120 bash $bundle/run.sh main dev.lorakit.cuda.CudaSmoke
OUT=$junit/cuda step "JUnit: package dev.lorakit.cuda" tests-cuda.txt 240 \
  bash $bundle/run.sh test --select-package dev.lorakit.cuda --fail-if-no-tests
OUT=$junit/cli JAVA_TOOL_OPTIONS="-Dlorakit.project.root=$root" step "JUnit: dev.lorakit.cli.GpuCliTest" tests-cli.txt 300 \
  bash $bundle/run.sh test --select-class dev.lorakit.cli.GpuCliTest --fail-if-no-tests

# Every reference folder: lora-models' test resources, then the shared fixtures the bundle carries (by name).
declare -A seen
for parent in lora-models/src/test/resources/dev/lorakit/models/hf $bundle/shared/fixtures/hf; do
  for dir in "$parent"/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    [[ -f $dir/reference.safetensors && -z ${seen[$name]:-} ]] || continue
    seen[$name]=1
    for precision in fp32 bf16; do
      step "verify-reference $name --device cuda --precision $precision" verify-reference.txt 120 \
        bash $bundle/run.sh main dev.lorakit.cli.Main verify-reference "$dir" --device cuda --precision $precision
    done
  done
done

step "CudaBench (GEMM vs torch, memory-bound vs copy)" bench.txt 240 bash $bundle/run.sh main dev.lorakit.cuda.CudaBench

echo "total $(( $(date +%s) - start ))s; $failed step(s) failed" | tee -a "$summary"
[[ $failed -eq 0 ]]
