#!/usr/bin/env bash
# Builds and runs every benchmark; each prints its own figures. Usage: bench/run_all.sh [build-dir]
set -euo pipefail
build=${1:-build}
cmake --build "$build" -j"$(nproc)"
for exe in "$build"/bench/*-bench; do
  echo "== $(basename "$exe")"
  "$exe"
done
