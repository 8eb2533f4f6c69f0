#!/bin/sh
# SPDX-License-Identifier: MIT
# cold_build.sh NNCL [RUNS]: the cold kernel build (`nncl bench --build-only`
# with an empty PoCL cache) RUNS times (default 3), each with the
# milliseconds PoCL's LLVM spent on every kernel the first step compiled
# (POCL_DEBUG's llvm_codegen timings, which include the work-group function's
# generation). The rest of the total is the program build and the step.
# NNCL_KERNEL_DIR points it at another kernel folder. A developer's tool, not
# a test; docs/PERFORMANCE.md ("Eighth session") has its figures.
set -eu
nncl=$1
runs=${2:-3}
i=0
while [ "$i" -lt "$runs" ]; do
    cache=$(mktemp -d)
    log=$(mktemp)
    POCL_DEBUG=all POCL_CACHE_DIR=$cache "$nncl" bench --build-only >"$log" 2>&1 || {
        tail -5 "$log" >&2
        rm -rf "$cache" "$log"
        exit 1
    }
    awk -v total="$(tail -n 1 "$log")" '
        /Temporary kernel.so file for kernel/ { for (f = 1; f <= NF; f++) if ($f == "kernel") name = $(f + 1) }
        /API: llvm_codegen/ { for (f = 1; f <= NF; f++) if ($f == ">>>") { printf "%s %d ms, ", name, $(f + 1); sum += $(f + 1) } }
        END { printf "kernels %d ms; cold build + first step %s s\n", sum, total }' "$log"
    rm -rf "$cache" "$log"
    i=$((i + 1))
done
