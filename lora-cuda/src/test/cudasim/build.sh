#!/usr/bin/env bash
# Builds the CUDA simulator into the folder given (default ../../../target/cudasim): libcuda.so.1,
# libnvrtc.so.13 (+ libnvrtc-builtins.so.13.0), libcublas.so.13, libnccl.so.2 and include/ (the prelude kernels are compiled
# with). Point LORAKIT_CUDA_LIB at that folder to run lora-cuda on it. Skips the work when nothing changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../target/cudasim}
mkdir -p "$out/include"
out=$(cd "$out" && pwd)

cuda_include=""
for dir in ${CUDA_HOME:+"$CUDA_HOME/include"} /usr/local/cuda/include /usr/local/cuda/targets/x86_64-linux/include \
    /usr/include; do
  if [[ -f $dir/cuda.h ]]; then cuda_include=$dir; break; fi
done
if [[ -z $cuda_include ]]; then
  echo "cudasim: cuda.h not found (set CUDA_HOME); the simulated driver is compiled against the toolkit's own header." >&2
  exit 1
fi
if ! command -v g++ >/dev/null; then
  echo "cudasim: g++ not found; the CUDA simulator is built and run with the machine's g++." >&2
  exit 1
fi

shopt -s nullglob
cublas_sources=("$here"/cublas/*.cpp)
stamp=$( (g++ --version; cat "$cuda_include/cuda.h" "$here"/*.h "$here"/*.cpp "$here/build.sh" \
  ${cublas_sources[@]+"${cublas_sources[@]}"} "$here"/cublas/*.h 2>/dev/null) | sha256sum | cut -c1-32)
if [[ -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]]; then
  exit 0
fi
rm -f "$out/.stamp"
cxx=(g++ -std=c++17 -O2 -shared -fPIC -Wall -Wno-unused-function)
cp "$here/cudasim_prelude.h" "$here/cudasim_abi.h" "$out/include/"
"${cxx[@]}" -I"$cuda_include" -I"$here" "$here/cuda_sim.cpp" -o "$out/libcuda.so.1" -ldl -lpthread &
"${cxx[@]}" -I"$here" "$here/nvrtc_sim.cpp" -o "$out/libnvrtc.so.13" -ldl &
"${cxx[@]}" "$here/nvrtc_builtins.cpp" -o "$out/libnvrtc-builtins.so.13.0" &
if (( ${#cublas_sources[@]} > 0 )); then
  "${cxx[@]}" -I"$here" "${cublas_sources[@]}" -o "$out/libcublas.so.13" -lpthread &
else
  echo "cudasim: no cuBLAS sources in $here/cublas; lora-cuda will not find libcublas.so.13." >&2
fi
# -lrt for shm_open on older glibc; the simulated NCCL needs no driver, as real NCCL loads its own.
"${cxx[@]}" -I"$here" "$here/nccl_sim.cpp" -o "$out/libnccl.so.2" -lpthread -lrt &
for job in $(jobs -p); do wait "$job"; done
echo "$stamp" > "$out/.stamp"
echo "cudasim: built into $out"
