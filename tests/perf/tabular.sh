#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nncl's defaults against scikit-learn's MLP on small tabular data sets, side
# by side in one run: tabular_peer.py writes the same train/test CSVs for
# iris, wine, breast cancer and diabetes and scores scikit-learn's
# MLPClassifier/MLPRegressor (defaults, and with a StandardScaler in front);
# then `nncl train --data X_train.csv --test-data X_test.csv` with no other
# flag, over three seeds. Accuracy for classification, R² for regression.
# Usage: tests/perf/tabular.sh [path/to/nncl] [python with scikit-learn]
# (a venv: python3 -m venv v && v/bin/pip install scikit-learn)
set -euo pipefail
nncl=${1:-build/nncl}
python=${2:-python3}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/nncl-tabular.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$python" "$here/tabular_peer.py" "$dir" --fit
for name in iris wine breast_cancer diabetes; do
  scores=""
  for seed in 1 2 3; do
    score=$("$nncl" train --data "$dir/${name}_train.csv" --test-data "$dir/${name}_test.csv" --seed "$seed" \
      --json --quiet | tail -n 1 | "$python" -c \
      'import json, sys; j = json.load(sys.stdin); print("%.4f" % (j["test_r2"] if j["task"] == "regression" else j["test_accuracy"]))')
    scores="$scores $score"
  done
  echo "$name" "$scores" | awk '{ printf "%-14s nncl defaults %.4f (min %.4f) over seeds 1-3\n", $1, ($2 + $3 + $4) / 3, ($2 < $3 ? ($2 < $4 ? $2 : $4) : ($3 < $4 ? $3 : $4)) }'
done
