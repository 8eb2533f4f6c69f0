#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Data-parallel speed on this machine (docs/PERFORMANCE.md, "Data-parallel
# training"): 1 rank on one core against 2 ranks of one core each (each its
# own PoCL device), the default MLP, global batch $BATCH, $REPS runs each,
# interleaved; prints every run's samples/s and the per-step communication
# line, then the medians. Usage: tests/perf/mpi_scaling.sh [build dir]
set -euo pipefail
build=${1:-build}
BATCH=${BATCH:-1024} EPOCHS=${EPOCHS:-4} REPS=${REPS:-5}
export POCL_CPU_MAX_CU_NUM=1
one=() two=()
for i in $(seq "$REPS"); do
  s=$(POCL_DEVICES=pthread taskset -c 0 "$build/nncl" train --batch "$BATCH" --epochs "$EPOCHS" --json --quiet 2>/dev/null |
      grep -o '"samples_per_second": [0-9.]*' | cut -d' ' -f2)
  one+=("$s")
  out=$(POCL_DEVICES="pthread pthread" mpirun --allow-run-as-root --oversubscribe --bind-to core -np 2 \
        -x POCL_DEVICES -x POCL_CPU_MAX_CU_NUM ${NNCL_BUCKET_FLOATS:+-x NNCL_BUCKET_FLOATS} \
        "$build/nncl" train --batch "$BATCH" --epochs "$EPOCHS" --json 2>&1)
  t=$(grep -o '"samples_per_second": [0-9.]*' <<<"$out" | cut -d' ' -f2)
  two+=("$t")
  echo "run $i: 1 rank $s samples/s; 2 ranks $t samples/s; $(grep -o 'ranks, .*' <<<"$out")"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}")
echo "median: 1 rank $m1, 2 ranks $m2 samples/s: $(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", b/a}')x"
