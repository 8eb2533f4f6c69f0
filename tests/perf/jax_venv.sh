#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Creates a Python venv with JAX (CPU) from PyPI for the JAX peer
# (tests/perf/jax_mlp.py) and prints its python's path.
# Usage: tests/perf/jax_venv.sh [venv dir, default build/jax-venv]
set -euo pipefail
dir=${1:-build/jax-venv}
if [ ! -x "$dir/bin/python" ]; then
  /usr/bin/python3 -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check jax numpy >&2
fi
"$dir/bin/python" -c "import jax" >&2
echo "$dir/bin/python"
