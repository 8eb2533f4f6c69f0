#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python suite as CTest runs it (tests/CMakeLists.txt, test `python`):
#   python/tests/run.sh WORK_DIR [pytest arguments]
# WORK_DIR/venv: a venv (kept between runs) with numpy, scikit-learn, pandas
# and pytest from PyPI, installed on the first run and when the list below
# changes; then `pip install python/` builds the package as a user's install
# does (pip fetches scikit-build-core into its isolated build environment;
# the CMake build is kept in WORK_DIR/build, so a rerun only recompiles what
# changed), and pytest runs the tests against that install. The build
# backend stays out of the venv on purpose: its CMake templates would sit
# under the build folder, where the spdx_tags test reads every CMakeLists.txt.
set -euo pipefail
pkg=$(cd "$(dirname "$0")/.." && pwd)
work=${1:?usage: run.sh WORK_DIR [pytest arguments]}
shift
mkdir -p "$work"
work=$(cd "$work" && pwd)
python=${NNCL_PYTHON:-python3}
venv=$work/venv
requirements="numpy>=1.21 scikit-learn>=1.6 pandas pytest>=7"

if [ ! -x "$venv/bin/python" ]; then
  echo "=== creating $venv with $python ($("$python" --version 2>&1))"
  if ! "$python" -m venv "$venv"; then
    echo "python: cannot create a venv with $python (on Debian: apt-get install python3-venv)" >&2
    rm -rf "$venv"
    exit 1
  fi
fi
if [ "$(cat "$venv/.nncl-requirements" 2>/dev/null)" != "$requirements" ]; then
  echo "=== installing $requirements from PyPI"
  # shellcheck disable=SC2086 # the requirements are words
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q $requirements; then
    echo "python: installing the test requirements from PyPI failed (is PyPI reachable?)" >&2
    exit 1
  fi
  echo "$requirements" >"$venv/.nncl-requirements"
fi

echo "=== pip install $pkg"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps --force-reinstall \
  --config-settings=build-dir="$work/build" "$pkg"; then
  echo "python: building the package failed (its build backend, scikit-build-core, comes from PyPI)" >&2
  exit 1
fi
"$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
  grep -iE '^(numpy|scikit-learn|pandas|pytest|nncl) ' | tr -s ' ' | paste -sd, -

# From WORK_DIR, so that `import nncl` finds the installed package.
cd "$work"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs "$pkg/tests" "$@"
