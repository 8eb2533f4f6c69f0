#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# First, when a JAX venv is there (JAX_PYTHON, or build/jax-venv made by
# tests/perf/jax_venv.sh), nncl against JAX/XLA interleaved at batches 128,
# 1024 and 8192 (tests/perf/interleave.py), medians of rounds as ratios;
# then `nncl bench` and the PyTorch peer (tests/perf/torch_mlp.py) one after
# the other, nncl's training throughput as a ratio of PyTorch's.
# Usage: tests/perf/compare.sh [path/to/nncl] [--quick]
set -euo pipefail
nncl=${1:-build/nncl}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
# The peer at its best: on an AVX-512 CPU, OpenBLAS's AVX-512 kernels, also
# when the environment asks for its AVX2 ones (some machines set
# OPENBLAS_CORETYPE=Haswell globally; unset, 0.3.21 picks Cooperlake on the
# Zen 5 of docs/PERFORMANCE.md, whose sgemm kernels are SkylakeX's).
case "${OPENBLAS_CORETYPE:-}" in
  ""|Haswell|HASWELL|Zen|ZEN)
    if grep -qw avx512f /proc/cpuinfo; then
      [ -n "${OPENBLAS_CORETYPE:-}" ] && echo "compare.sh: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE replaced by SkylakeX (AVX-512 CPU)" >&2
      export OPENBLAS_CORETYPE=SkylakeX
    fi ;;
esac
jax_python=${JAX_PYTHON:-$(dirname "$nncl")/jax-venv/bin/python}
if [ -x "$jax_python" ]; then
  /usr/bin/python3 "$here/interleave.py" --nncl "$nncl" --python "$jax_python" --rounds "${ROUNDS:-5}"
else
  echo "compare.sh: no JAX venv at $jax_python (tests/perf/jax_venv.sh makes one); no JAX ratio" >&2
fi
ours=$("$nncl" bench --json "$@" | tail -n 1)
echo "$ours"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "compare.sh: python3-torch is not installed (apt-get install python3-torch); no PyTorch ratio" >&2
  exit 0
fi
theirs=$(/usr/bin/python3 "$here/torch_mlp.py" --seconds 4 | tail -n 1)
echo "$theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
blas = {(g["layout"], g["m"], g["n"], g["k"]): g["gflops"] for g in theirs.get("gemm", [])}
for g in ours["gemm"]:
    key = (g["layout"], g["m"], g["n"], g["k"])
    if key in blas:
        print(f"gemm {g['layout']} {g['m']}x{g['n']}x{g['k']}: nncl {g['nncl']:7.1f} GFLOP/s, "
              f"torch.matmul ({theirs['device']}) {blas[key]:7.1f}, ratio {g['nncl'] / blas[key]:.2f}x")
peer = {r["batch"]: r["samples_per_second"] for r in theirs["training"]}
for r in ours["training"]:
    b = r["batch"]
    if b in peer:
        print(f"batch {b:5d}: nncl {r['samples_per_second']:9.0f} samples/s, {theirs['peer']} "
              f"{peer[b]:9.0f} samples/s, ratio {r['samples_per_second'] / peer[b]:.2f}x")
PY
