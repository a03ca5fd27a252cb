#!/usr/bin/env bash
# Correctness at scale: lorakit and Hugging Face transformers + PEFT run one forward and backward on the same
# random ~1B-parameter LLaMA-architecture model (hidden 2048, 16 layers, 16 heads, MLP 5632, vocab 32000; bf16
# weights written by `lorakit-dev make-random-model`), the same random PEFT adapter (r 16, alpha 32, all seven
# projections, A and B both non-zero) and the same token batch (2 x 256), in bf16 and in fp32, and
# `lorakit-dev compare-grads` holds lorakit's loss and LoRA gradients to PEFT's:
#
#   fp32: loss within 1e-4 relative, each gradient within 1e-3 relative L2      (correctness-fp32.txt, gating)
#   bf16: lorakit-bf16 no farther from PEFT-fp32 than PEFT-bf16 is: median and worst gradient relative L2 each
#         at most 1.1x PEFT-bf16's, loss difference at most 1e-2 or 1.1x PEFT-bf16's   (correctness-bf16.txt, gating)
#   lorakit-bf16 against PEFT-bf16 directly (bf16-vs-bf16.txt, reported, not gating: two bf16 computations differ
#   by the sum of their rounding errors, 8.6e-2 median at 1B although lorakit-bf16 is the closer of the two to fp32)
# Without an fp32 run (PRECISIONS=bf16) the bf16 gate falls back to lorakit-bf16 against PEFT-bf16 within
# LOSS_TOL / GRAD_TOL.
#
# On the GPU machine, from the project root, after ../shared/device/pack.sh has made .gpu-bundle/:
#
#   OUT=/some/folder bash scripts/correctness-1b.sh
#
# The model (1.9 GB) is generated at run time under $WORK (default $TMPDIR/lorakit-correctness-SHAPE) and deleted
# at the end, never bundled; $OUT receives {lorakit,peft}-{bf16,fp32}.safetensors (loss and gradients), the
# comparisons above and correctness-summary.txt (one verdict a line). Exit status 0 when the gating comparisons
# pass. Expected: well under 3 minutes on an H100 (generating the model ~10 s; each side loads it per precision and
# runs one step in seconds; torch's import takes some seconds).
#
# The same script checks the comparison itself on any machine with a CPU-only torch, in fp32 (lorakit computes bf16
# on a GPU only), where the two implementations must agree to float32 rounding:
#
#   SHAPE=tiny SEQ=24 DEVICE=cpu PRECISIONS=fp32 FP32_LOSS_TOL=1e-5 FP32_GRAD_TOL=1e-4 LORAKIT=./lorakit-dev \
#     PYTHON=/path/to/python OUT=/tmp/c bash scripts/correctness-1b.sh
#
# Settings (environment): SHAPE (llama-1b | tiny), SEED (0), BATCH (2), SEQ (256), RANK (16), DEVICE (cuda),
# PRECISIONS ("bf16 fp32"), ATTN (sdpa | eager: transformers' attention), LOSS_TOL / GRAD_TOL (bf16: 1e-2 / 5e-2),
# PEER_FACTOR (1.1: how much farther from fp32 lorakit-bf16 may be than PEFT-bf16),
# FP32_LOSS_TOL / FP32_GRAD_TOL (1e-4 / 1e-3), PYTHON (python3), LORAKIT (the command that runs lorakit-dev; default
# the bundle's launcher), WORK.
set -uo pipefail
out=${OUT:-.gpu-bundle/out}
mkdir -p "$out"
shape=${SHAPE:-llama-1b}
seed=${SEED:-0}
device=${DEVICE:-cuda}
precisions=${PRECISIONS:-bf16 fp32}
python=${PYTHON:-python3}
work=${WORK:-${TMPDIR:-/tmp}/lorakit-correctness-$shape}
if [[ -n ${LORAKIT:-} ]]; then
  read -r -a lorakit <<<"$LORAKIT"
else
  [[ -f .gpu-bundle/run.sh ]] || { echo "correctness-1b.sh: no .gpu-bundle/run.sh here; run ../shared/device/pack.sh first (or set LORAKIT)" >&2; exit 2; }
  lorakit=(bash .gpu-bundle/run.sh main dev.lorakit.cli.DevMain)
fi
rm -rf "$work"
mkdir -p "$work"
t0=$(date +%s)

echo "== make-random-model $shape (seed $seed)"
"${lorakit[@]}" make-random-model --shape "$shape" --seed "$seed" --out "$work/base" --adapter-out "$work/adapter" \
  --lora-r "${RANK:-16}" --batch-out "$work/batch.safetensors" --batch "${BATCH:-2}" --seq "${SEQ:-256}" || exit 1

for p in $precisions; do
  echo "== lorakit lora-grads ($device, $p)"
  "${lorakit[@]}" lora-grads --model "$work/base" --adapter "$work/adapter" --batch "$work/batch.safetensors" \
    --device "$device" --precision "$p" --out "$out/lorakit-$p.safetensors" --overwrite || exit 1
done

echo "== transformers + PEFT ($device, $precisions, ${ATTN:-sdpa} attention)"
PYTHONUNBUFFERED=1 "$python" - "$work/base" "$work/adapter" "$work/batch.safetensors" "$out" "$device" \
  "${ATTN:-sdpa}" $precisions <<'PY' || exit 1
import sys, time
import torch
import transformers, peft
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM
from peft import PeftModel

model_dir, adapter_dir, batch_file, out, device, attn = sys.argv[1:7]
batch = load_file(batch_file)
for precision in sys.argv[7:]:
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    t = time.perf_counter()
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation=attn).to(device)
    # is_trainable: the adapter's matrices require gradients; PEFT keeps them in float32 over a bf16 base (its default).
    model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=True).to(device)
    model.train()
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    result = model(input_ids=batch["input_ids"].to(device), labels=batch["labels"].to(device))
    result.loss.backward()
    if device == "cuda":
        torch.cuda.synchronize()
    step = time.perf_counter() - t
    grads = {"loss": result.loss.detach().float().reshape(1).cpu()}
    for name, p in model.named_parameters():
        if p.requires_grad:
            grads["grad." + name.replace(".default", "")] = p.grad.detach().float().cpu().contiguous()
    file = "%s/peft-%s.safetensors" % (out, precision)
    save_file(grads, file)
    print("transformers %s, peft %s, torch %s, %s: loss %.6f; %d LoRA gradients written to %s (load %.1f s, step %.2f s)"
          % (transformers.__version__, peft.__version__, torch.__version__, precision, result.loss.item(),
             len(grads) - 1, file, loaded, step))
    del model, base, result, grads
    if device == "cuda":
        torch.cuda.empty_cache()
PY

summary=$out/correctness-summary.txt
: >"$summary"
status=0
compare() { # NAME ACTUAL REFERENCE LOSS_TOL GRAD_TOL GATING [compare-grads options, e.g. --peer FILE]
  echo "== compare-grads $1: $(basename "$2") against $(basename "$3") (loss $4 relative, gradients $5 relative L2${7:+; ${*:7}})"
  "${lorakit[@]}" compare-grads "$2" "$3" --loss-tol "$4" --grad-tol "$5" "${@:7}" >"$out/$1.txt"
  local rc=$?
  grep -v ' rel L2 ' "$out/$1.txt"
  echo "$1: $(tail -1 "$out/$1.txt")$([[ $6 == yes ]] || echo ' (reported, not gating)')" >>"$summary"
  [[ $6 == yes && $rc -ne 0 ]] && status=1
  return 0
}
for p in $precisions; do
  if [[ $p == bf16 ]]; then
    if [[ " $precisions " == *" fp32 "* ]]; then
      compare correctness-bf16 "$out/lorakit-bf16.safetensors" "$out/peft-fp32.safetensors" "${LOSS_TOL:-1e-2}" \
        "${GRAD_TOL:-5e-2}" yes --peer "$out/peft-bf16.safetensors" --peer-factor "${PEER_FACTOR:-1.1}"
      compare bf16-vs-bf16 "$out/lorakit-bf16.safetensors" "$out/peft-bf16.safetensors" "${LOSS_TOL:-1e-2}" \
        "${GRAD_TOL:-5e-2}" no
    else
      compare correctness-bf16 "$out/lorakit-bf16.safetensors" "$out/peft-bf16.safetensors" "${LOSS_TOL:-1e-2}" \
        "${GRAD_TOL:-5e-2}" yes
    fi
  else
    compare correctness-$p "$out/lorakit-$p.safetensors" "$out/peft-$p.safetensors" "${FP32_LOSS_TOL:-1e-4}" "${FP32_GRAD_TOL:-1e-3}" yes
  fi
done
echo "correctness-1b ($shape, $device; $(( $(date +%s) - t0 )) s):"
cat "$summary"
rm -rf "$work"
exit "$status"
