#!/usr/bin/env bash
# One lease's GPU checks, run from the repository root on a machine with an NVIDIA GPU (the device tool):
#   versions and the device; the CUDA tests for real (tests/*/test_cuda.py, test_backends -k cuda);
#   compute-sanitizer memcheck and racecheck on benchmarks/gpu/sanitize_case.py; where the forward's time goes
#   (benchmarks/gpu/pieces.py); gatecore against cuDNN (benchmarks/gpu_vs_cudnn.py) within BENCH_BUDGET seconds.
# Logs and tables go to $OUT. gatecore runs from src/ (its C core's _native.abi3.so carried beside it);
# wheels in .whl/ (cffi, absent there) install into /tmp/site.
set -u
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
fi
export PYTHONPATH=/tmp/site:$PWD/src:$PWD
t0=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

stamp "device and versions"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
python3 - <<'PY'
from importlib import metadata
for n in ("numba", "numba-cuda", "llvmlite", "numpy", "torch", "cffi"):
    try:
        print(n, metadata.version(n))
    except metadata.PackageNotFoundError:
        print(n, "missing")
import gatecore as gc
print("backends", gc.backends())
PY

stamp "CUDA tests on the GPU"
timeout -k 5 "${TEST_BUDGET:-170}" python3 -m pytest -q -p no:cacheprovider -p no:randomly -o addopts="" \
  tests/lstm/test_cuda.py tests/gru/test_cuda.py tests/rnn/test_cuda.py tests/test_backends.py -k cuda \
  2>&1 | tee "$OUT/tests.log" | tail -25

for tool in memcheck racecheck; do
  stamp "compute-sanitizer $tool"
  timeout -k 5 "${SANITIZE_BUDGET:-75}" compute-sanitizer --tool "$tool" --error-exitcode 9 \
    python3 benchmarks/gpu/sanitize_case.py > "$OUT/sanitize_$tool.log" 2>&1
  echo "exit $?"; grep -E "ERROR SUMMARY|RACECHECK SUMMARY|case\(s\) failed|FAIL" "$OUT/sanitize_$tool.log" | head -5
done

stamp "pieces"
timeout -k 5 "${PIECES_BUDGET:-60}" python3 benchmarks/gpu/pieces.py 2>&1 | tee "$OUT/pieces.log"

stamp "gatecore vs cuDNN"
timeout -k 5 "$(( ${BENCH_BUDGET:-150} + 60 ))" python3 benchmarks/gpu_vs_cudnn.py --out "$OUT" --repeat 3 \
  --budget "${BENCH_BUDGET:-150}" > "$OUT/bench.log" 2>&1
echo "exit $?"; tail -3 "$OUT/bench.log"
[ -f "$OUT/gpu_vs_cudnn.md" ] && cat "$OUT/gpu_vs_cudnn.md"
stamp "done"
