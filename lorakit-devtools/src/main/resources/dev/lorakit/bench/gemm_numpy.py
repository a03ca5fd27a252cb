# Times numpy's matmul (the BLAS it links, usually OpenBLAS) on one float32 product, the way Timing.java times
# lorakit's: warm up for WARMUP seconds (and 3 calls), then sample for SECONDS (at least MIN, at most MAX calls).
# Operands are stored as lorakit stores them; a transposed operand is a transposed view, which numpy hands to
# sgemm as a transpose flag without copying.
# Usage: python3 - M N K LAYOUT WARMUP SECONDS MIN MAX   (LAYOUT: AB, ABT or ATB)
# Prints: best_seconds median_seconds samples blas_description
import sys
import time

import numpy as np

m, n, k = (int(x) for x in sys.argv[1:4])
layout = sys.argv[4]
warmup, seconds = float(sys.argv[5]), float(sys.argv[6])
min_samples, max_samples = int(sys.argv[7]), int(sys.argv[8])

rng = np.random.default_rng(1)
a = rng.standard_normal((k, m) if layout == "ATB" else (m, k), dtype=np.float32)
b = rng.standard_normal((n, k) if layout == "ABT" else (k, n), dtype=np.float32)
A = a.T if layout == "ATB" else a
B = b.T if layout == "ABT" else b
c = np.empty((m, n), dtype=np.float32)

start = time.perf_counter()
i = 0
while i < 3 or time.perf_counter() - start < warmup:
    np.matmul(A, B, out=c)
    i += 1
samples = []
start = time.perf_counter()
while len(samples) < max_samples and (len(samples) < min_samples or time.perf_counter() - start < seconds):
    t0 = time.perf_counter()
    np.matmul(A, B, out=c)
    samples.append(time.perf_counter() - t0)
samples.sort()
mid = len(samples) // 2
median = samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2

blas = "numpy " + np.__version__
try:
    info = np.__config__.CONFIG["Build Dependencies"]["blas"]
    blas += " / " + info["name"] + " " + info["version"]
except Exception:
    pass
print(samples[0], median, len(samples), blas.replace(" ", "_"))
